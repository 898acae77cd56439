import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FsObjects, InvalidObjectKeyError } from '../../shared/adapters/local/objects';

describe('FsObjects', () => {
  let dir: string;
  let objects: FsObjects;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'objects-'));
    objects = new FsObjects(path.join(dir, 'objects'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores an object with its content type and reads it back', async () => {
    await objects.put('sessions/s1/artifacts/report.html', '<h1>done</h1>', { contentType: 'text/html' });
    await objects.put('sessions/s1/raw.bin', Buffer.from([0, 1, 2, 255]));

    const html = await objects.get('sessions/s1/artifacts/report.html');
    const raw = await objects.get('sessions/s1/raw.bin');

    expect(html).toEqual({ body: Buffer.from('<h1>done</h1>'), contentType: 'text/html' });
    expect(raw).toEqual({ body: Buffer.from([0, 1, 2, 255]) });
    expect(await stat(path.join(dir, 'objects', 'sessions', 's1', 'raw.bin'))).toBeTruthy();
  });

  it('replaces an object whole, and forgets a content type that is no longer given', async () => {
    await objects.put('a.txt', 'first version, longer', { contentType: 'text/plain' });
    await objects.put('a.txt', 'second');

    expect(await objects.get('a.txt')).toEqual({ body: Buffer.from('second') });
    expect(await readdir(path.join(dir, 'objects', '.tmp'))).toEqual([]);
  });

  it('answers null for a missing object, and deletes idempotently', async () => {
    await objects.put('x/y/z', 'data', { contentType: 'text/plain' });
    await objects.delete('x/y/z');
    await objects.delete('x/y/z');

    expect(await objects.get('x/y/z')).toBeNull();
    expect(await objects.get('x/y')).toBeNull();
    expect(await readdir(path.join(dir, 'objects'))).not.toContain('x');
    await objects.put('x', 'a file where the folder was');
    expect((await objects.get('x'))?.body.toString()).toBe('a file where the folder was');
  });

  it('lists the keys under a string prefix, in order, without its own bookkeeping', async () => {
    for (const key of ['b/2026-02/x', 'b/2026-01/y', 'b/2026-01/x', 'b2/z', 'c'])
      await objects.put(key, key, { contentType: 'text/plain' });

    expect(await objects.list('b/2026-0')).toEqual(['b/2026-01/x', 'b/2026-01/y', 'b/2026-02/x']);
    expect(await objects.list('b')).toEqual(['b/2026-01/x', 'b/2026-01/y', 'b/2026-02/x', 'b2/z']);
    expect(await objects.list('')).toEqual(['b/2026-01/x', 'b/2026-01/y', 'b/2026-02/x', 'b2/z', 'c']);
    expect(await objects.list('nothing/here')).toEqual([]);
  });

  it('refuses keys that could leave the store or clash with it, naming the problem', async () => {
    const refused = async (key: string) => {
      const err = await objects.put(key, 'x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidObjectKeyError);
      return (err as Error).message;
    };

    expect(await refused('../outside')).toMatch(/has a \. or \.\. segment/);
    expect(await refused('a/../../outside')).toMatch(/has a \. or \.\. segment/);
    expect(await refused('/etc/passwd')).toMatch(/absolute path/);
    expect(await refused('a\0b')).toMatch(/NUL character/);
    expect(await refused('a//b')).toMatch(/empty segment/);
    expect(await refused('dir/')).toMatch(/empty segment/);
    expect(await refused('a\\..\\b')).toMatch(/backslash/);
    expect(await refused('.meta/x')).toMatch(/reserved/);
    expect(await refused('')).toMatch(/empty/);
    expect(await refused('k'.repeat(1025))).toMatch(/longer than 1024 bytes/);
    await expect(objects.get('../x')).rejects.toThrow(InvalidObjectKeyError);
    await expect(objects.list('../')).rejects.toThrow(InvalidObjectKeyError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('explains a key that clashes with an object stored at its prefix', async () => {
    await objects.put('a', 'file');
    await expect(objects.put('a/b', 'under a file')).rejects.toThrow(/a and a\/b cannot both exist here/);
    expect((await objects.get('a'))?.body.toString()).toBe('file');
  });
});
