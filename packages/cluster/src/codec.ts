/** The tile protocol codecs this package uses, in one place (they live in @tessera/wire). */
export {
  encodeTileTask, decodeTileTask, encodeTileResult, decodeTileResult, encodeTileSlices, decodeTileSlices,
  encodeModel, decodeModel, TILE_PROTOCOL_VERSION,
  type TileTask, type TileResult, type TileSlice, type TileError, type TileTimings,
} from '@tessera/wire';
