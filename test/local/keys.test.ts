import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalKeys, MASTER_KEY_FILE } from '../../shared/adapters/local/keys';

describe('LocalKeys', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keys-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 master key on first use and round-trips values under a context', async () => {
    const dataDir = path.join(dir, 'data');
    const keys = new LocalKeys(dataDir);

    const sealed = await keys.encrypt('ghp_secret-token', { organizationId: 'org_1', purpose: 'github' });
    const mode = (await stat(path.join(dataDir, MASTER_KEY_FILE))).mode & 0o777;
    const opened = await new LocalKeys(dataDir).decrypt(sealed, { purpose: 'github', organizationId: 'org_1' });

    expect(mode).toBe(0o600);
    expect(sealed).toMatch(/^local1\.[0-9a-f]{16}\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('ghp_secret-token');
    expect(opened).toBe('ghp_secret-token');
    expect(await keys.decrypt(await keys.encrypt(''))).toBe('');
  });

  it('seals the same value differently each time', async () => {
    const keys = new LocalKeys(dir);
    expect(await keys.encrypt('same')).not.toBe(await keys.encrypt('same'));
  });

  it('refuses a different encryption context', async () => {
    const keys = new LocalKeys(dir);
    const sealed = await keys.encrypt('secret', { organizationId: 'org_1' });

    await expect(keys.decrypt(sealed, { organizationId: 'org_2' })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    await expect(keys.decrypt(sealed)).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });

  it('detects tampering with any part of the envelope', async () => {
    const keys = new LocalKeys(dir);
    const sealed = await keys.encrypt('a secret long enough to flip bits in', { k: 'v' });
    const parts = sealed.split('.');

    for (const index of [2, 3, 4, 5]) {
      const bytes = Buffer.from(parts[index], 'base64url');
      bytes[bytes.length - 1] ^= 0x01;
      const tampered = parts.map((p, i) => (i === index ? bytes.toString('base64url') : p)).join('.');
      await expect(keys.decrypt(tampered, { k: 'v' })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    }
    await expect(keys.decrypt('kms1.a.b.c.d', { k: 'v' })).rejects.toThrow(/not a local envelope/);
    await expect(keys.decrypt(parts.slice(0, 5).join('.') + '.AA', { k: 'v' })).rejects.toThrow(/truncated or malformed/);
  });

  it('tells a ciphertext sealed under another master key apart', async () => {
    const sealed = await new LocalKeys(path.join(dir, 'one')).encrypt('secret');
    await expect(new LocalKeys(path.join(dir, 'two')).decrypt(sealed)).rejects.toMatchObject({ name: 'IncorrectKeyException' });
  });

  it('uses an existing master key file, refuses a malformed one, and warns when others can read it', async () => {
    const warnings: unknown[] = [];
    await writeFile(path.join(dir, MASTER_KEY_FILE), Buffer.alloc(32, 7).toString('base64'), { mode: 0o644 });
    const keys = new LocalKeys(dir, { logger: { warn: (obj: unknown) => void warnings.push(obj) } });

    expect(await keys.decrypt(await keys.encrypt('x'))).toBe('x');
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings)).not.toContain(Buffer.alloc(32, 7).toString('base64'));
    await mkdir(path.join(dir, 'bad'));
    await writeFile(path.join(dir, 'bad', MASTER_KEY_FILE), 'short');
    await expect(new LocalKeys(path.join(dir, 'bad')).encrypt('x')).rejects.toThrow(/does not hold a 32-byte base64 key/);
    expect(await readFile(path.join(dir, 'bad', MASTER_KEY_FILE), 'utf8')).toBe('short');
  });
});
