export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type Logger = (level: LogLevel, line: string) => void;

/** One line per event on stdout: time, who, level, what. Lines below `min` are dropped. */
export function lineLogger(who: string, min: LogLevel, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Logger {
  return (level, line) => {
    if (RANK[level] >= RANK[min]) write(`${new Date().toISOString()} ${who} ${level} ${line}`);
  };
}

export function isLogLevel(v: string): v is LogLevel {
  return v in RANK;
}
