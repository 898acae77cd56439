import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { KeysPort } from '../../ports';
import { NotWiredError } from './errors';
import { clientOf } from './lazy';

export type KmsClientLike = Pick<KMSClient, 'send'>;

/** Marks the envelope format, so a later format can be told apart. */
const FORMAT = 'kms1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * KeysPort on KMS, by envelope encryption: each value gets a fresh AES-256 data key from GenerateDataKey, is sealed
 * here with AES-256-GCM, and is stored with the data key as KMS encrypted it. The encryption context binds both the
 * data key (KMS checks it on Decrypt) and the sealed value (it is the GCM additional data).
 *
 * Format: `kms1.<encrypted data key>.<iv>.<tag>.<ciphertext>`, each part base64url.
 */
export class KmsKeys implements KeysPort {
  private readonly client: () => Promise<KmsClientLike>;

  constructor(
    private readonly keyId: string | undefined,
    client?: KmsClientLike,
  ) {
    this.client = clientOf(client, async () => new (await import('@aws-sdk/client-kms')).KMSClient({}));
  }

  async encrypt(plaintext: string, context: Record<string, string> = {}): Promise<string> {
    const { GenerateDataKeyCommand } = await import('@aws-sdk/client-kms');
    const out = await (await this.client()).send(
      new GenerateDataKeyCommand({ KeyId: this.key(), KeySpec: 'AES_256', EncryptionContext: kmsContext(context) }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('GenerateDataKey returned no key');
    const dataKey = Buffer.from(out.Plaintext);
    try {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
      cipher.setAAD(additionalData(context));
      const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [FORMAT, b64(out.CiphertextBlob), b64(iv), b64(cipher.getAuthTag()), b64(sealed)].join('.');
    } finally {
      dataKey.fill(0);
      out.Plaintext.fill(0);
    }
  }

  async decrypt(ciphertext: string, context: Record<string, string> = {}): Promise<string> {
    const parts = ciphertext.split('.');
    if (parts.length !== 5 || parts[0] !== FORMAT) throw new Error('not a KMS envelope');
    const [, encryptedKey, iv, tag, sealed] = parts.map((p) => Buffer.from(p, 'base64url'));
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('not a KMS envelope');
    const { DecryptCommand } = await import('@aws-sdk/client-kms');
    const out = await (await this.client()).send(
      new DecryptCommand({ KeyId: this.key(), CiphertextBlob: encryptedKey, EncryptionContext: kmsContext(context) }),
    );
    if (!out.Plaintext) throw new Error('Decrypt returned no key');
    const dataKey = Buffer.from(out.Plaintext);
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, iv);
      decipher.setAAD(additionalData(context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8');
    } finally {
      dataKey.fill(0);
      out.Plaintext.fill(0);
    }
  }

  private key(): string {
    if (!this.keyId) throw NotWiredError.missingAccess('the envelope encryption key', 'keys');
    return this.keyId;
  }
}

function kmsContext(context: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(context).length ? context : undefined;
}

/** The context in a canonical order, so `{a, b}` and `{b, a}` seal alike. */
function additionalData(context: Record<string, string>): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(`${FORMAT}:${JSON.stringify(sorted)}`, 'utf8');
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
