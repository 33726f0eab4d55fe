import { expect } from 'chai';

/** XML-ish well-formedness: one <svg> root, every tag closed in order. */
export function checkSvg(svg: string, file: string): void {
  expect(svg, file).to.match(/^<\?xml[^>]*\?>\s*<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const stack: string[] = [];
  for (const m of svg.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (close) expect(stack.pop(), `${file}: </${name}> closes the wrong tag`).to.equal(name);
    else stack.push(name!);
  }
  expect(stack, `${file}: unclosed tags`).to.deep.equal([]);
  expect(svg, `${file}: unescaped ampersand`).not.to.match(/&(?!amp;|lt;|gt;|quot;|#\d+;)/);
}
