import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeysPort } from '../../ports';
import type { Logger } from '../../runtime/logger';

/** Marks the envelope format, so a later format can be told apart. */
const FORMAT = 'local1';
export const MASTER_KEY_FILE = 'master.key';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Named like KMS's errors, so callers handle a bad ciphertext the same way on both runtimes. */
export class KeysError extends Error {
  constructor(name: 'InvalidCiphertextException' | 'IncorrectKeyException', message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * KeysPort on one machine, by envelope encryption as KMS does it: each value is sealed with a fresh AES-256-GCM data
 * key, and the data key is sealed with the master key kept in `<dataDir>/master.key` (created, mode 0600, when
 * missing). The encryption context is the additional data of both seals, so decrypting needs the same context.
 *
 * Format: `local1.<master key id>.<key iv>.<sealed data key + tag>.<iv>.<ciphertext + tag>`, parts base64url.
 */
export class LocalKeys implements KeysPort {
  private readonly file: string;
  private master: Promise<{ key: Buffer; id: string }> | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly options: { logger?: Pick<Logger, 'warn'> } = {},
  ) {
    this.file = path.join(dataDir, MASTER_KEY_FILE);
  }

  async encrypt(plaintext: string, context: Record<string, string> = {}): Promise<string> {
    const master = await this.masterKey();
    const dataKey = randomBytes(KEY_BYTES);
    try {
      const keyIv = randomBytes(IV_BYTES);
      const sealedKey = seal(master.key, keyIv, dataKey, additionalData('key', context));
      const iv = randomBytes(IV_BYTES);
      const sealed = seal(dataKey, iv, Buffer.from(plaintext, 'utf8'), additionalData('value', context));
      return [FORMAT, master.id, b64(keyIv), b64(sealedKey), b64(iv), b64(sealed)].join('.');
    } finally {
      dataKey.fill(0);
    }
  }

  async decrypt(ciphertext: string, context: Record<string, string> = {}): Promise<string> {
    const parts = ciphertext.split('.');
    if (parts.length !== 6 || parts[0] !== FORMAT) {
      throw new KeysError('InvalidCiphertextException', `not a local envelope (expected ${FORMAT}.… with 6 parts)`);
    }
    const master = await this.masterKey();
    if (parts[1] !== master.id) {
      throw new KeysError('IncorrectKeyException', `sealed under another master key (${parts[1]}, this data directory has ${master.id})`);
    }
    const [keyIv, sealedKey, iv, sealed] = parts.slice(2).map((p) => Buffer.from(p, 'base64url'));
    if (keyIv.length !== IV_BYTES || iv.length !== IV_BYTES || sealedKey.length !== KEY_BYTES + TAG_BYTES || sealed.length < TAG_BYTES) {
      throw new KeysError('InvalidCiphertextException', 'the envelope is truncated or malformed');
    }
    const dataKey = open(master.key, keyIv, sealedKey, additionalData('key', context));
    try {
      return open(dataKey, iv, sealed, additionalData('value', context)).toString('utf8');
    } finally {
      dataKey.fill(0);
    }
  }

  /** The master key, read once; generated (0600) on first use of a fresh data directory. */
  private masterKey(): Promise<{ key: Buffer; id: string }> {
    this.master ??= this.loadOrCreate().catch((err: unknown) => {
      this.master = undefined;
      throw err;
    });
    return this.master;
  }

  private async loadOrCreate(): Promise<{ key: Buffer; id: string }> {
    let text = await readFile(this.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (text === undefined) {
      await mkdir(this.dataDir, { recursive: true });
      const fresh = randomBytes(KEY_BYTES).toString('base64') + '\n';
      try {
        await writeFile(this.file, fresh, { mode: 0o600, flag: 'wx' });
        text = fresh;
      } catch (err) {
        // Another process created it first: use theirs.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        text = await readFile(this.file, 'utf8');
      }
    }
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`${this.file} does not hold a ${KEY_BYTES}-byte base64 key`);
    if (((await stat(this.file)).mode & 0o077) !== 0) {
      this.options.logger?.warn({ file: this.file }, 'the master key file is readable by other users; chmod 600 it');
    }
    return { key, id: createHash('sha256').update(key).digest('hex').slice(0, 16) };
  }
}

function seal(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Buffer, iv: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new KeysError('InvalidCiphertextException', 'the ciphertext was tampered with, or the encryption context does not match');
  }
}

/** The context in a canonical order (so `{a, b}` and `{b, a}` seal alike), bound to what is sealed. */
function additionalData(what: 'key' | 'value', context: Record<string, string>): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(`${FORMAT}:${what}:${JSON.stringify(sorted)}`, 'utf8');
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64url');
}
