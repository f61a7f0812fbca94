import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeChunks, type TextEncoding } from '../../src/input/text.js';

const UTF8: TextEncoding = { name: 'utf-8', bomLength: 0 };

async function decodeAll(chunks: Uint8Array[], encoding: TextEncoding): Promise<string[]> {
  async function* source() {
    yield* chunks;
  }
  const texts: string[] = [];
  for await (const text of decodeChunks(source(), encoding)) texts.push(text);
  return texts;
}

/** Text of `count` lines mixing ASCII with two-, three- and four-byte UTF-8 characters. */
function mixedText(count: number): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    lines.push(
      `{"n":${index},"user":"müller-ø","host":"東京-${index}","note":"𝔘 ${'x'.repeat(index % 97)}"}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('decodeChunks', () => {
  it('cuts chunks into 32 KiB texts', async () => {
    const bytes = Buffer.from(mixedText(6000));
    assert.ok(bytes.length > 8 * 32 * 1024);

    const texts = await decodeAll([bytes], UTF8);

    assert.ok(texts.length >= 8);
    for (const text of texts) assert.ok(Buffer.byteLength(text) <= 32 * 1024 + 3);
    assert.equal(texts.join(''), bytes.toString('utf8'));
  });

  it('keeps characters cut at slice and chunk ends', async () => {
    const bytes = Buffer.from(mixedText(4000));
    const chunks: Uint8Array[] = [];
    for (let start = 0; start < bytes.length; start += 100_003) {
      chunks.push(bytes.subarray(start, start + 100_003));
    }

    const texts = await decodeAll(chunks, UTF8);

    assert.equal(texts.join(''), bytes.toString('utf8'));
    assert.ok(!texts.join('').includes('\uFFFD'));
  });

  it('skips the byte order mark across a sliced chunk', async () => {
    const body = mixedText(2000);
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]);

    const texts = await decodeAll([bytes], { name: 'utf-8', bomLength: 3 });

    assert.equal(texts.join(''), body);
  });
});
