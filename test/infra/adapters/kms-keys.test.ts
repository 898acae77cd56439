import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { KmsKeys, type KmsClientLike } from '../../../shared/adapters/aws/kms-keys';
import { fakeClient, serviceError } from '../support/fake-client';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1111-2222';

/**
 * A KMS that really wraps data keys under a master key of its own, binding the encryption context, so a wrong
 * context fails the way it does on AWS (InvalidCiphertextException).
 */
function fakeKms() {
  const master = randomBytes(32);
  // KMS treats the context as a map: key order does not matter.
  const contextOf = (input: Record<string, unknown>) =>
    JSON.stringify(Object.entries((input.EncryptionContext as Record<string, string>) ?? {}).sort());
  return fakeClient<KmsClientLike>((command, input) => {
    expect(input.KeyId).toBe(KEY_ARN);
    if (command instanceof GenerateDataKeyCommand) {
      expect(input.KeySpec).toBe('AES_256');
      const dataKey = randomBytes(32);
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', master, iv).setAAD(Buffer.from(contextOf(input)));
      const wrapped = Buffer.concat([iv, c.update(dataKey), c.final(), c.getAuthTag()]);
      return { Plaintext: new Uint8Array(dataKey), CiphertextBlob: new Uint8Array(wrapped), KeyId: KEY_ARN };
    }
    if (command instanceof DecryptCommand) {
      const blob = Buffer.from(input.CiphertextBlob as Uint8Array);
      try {
        const d = createDecipheriv('aes-256-gcm', master, blob.subarray(0, 12)).setAAD(Buffer.from(contextOf(input)));
        d.setAuthTag(blob.subarray(blob.length - 16));
        return { Plaintext: new Uint8Array(Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()])) };
      } catch {
        throw serviceError('InvalidCiphertextException');
      }
    }
    throw new Error('unexpected command');
  });
}

describe('KmsKeys', () => {
  it('seals with a fresh data key per value and opens it again with the same context', async () => {
    const { client, sent } = fakeKms();
    const keys = new KmsKeys(KEY_ARN, client);
    const context = { organizationId: 'org-1', purpose: 'env-file' };

    const a = await keys.encrypt('s3cr3t ✓', context);
    const b = await keys.encrypt('s3cr3t ✓', context);

    expect(a).toMatch(/^kms1\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(Buffer.from('s3cr3t').toString('base64url'));
    expect(await keys.decrypt(a, { purpose: 'env-file', organizationId: 'org-1' })).toBe('s3cr3t ✓');
    expect(sent.filter((s) => s.command instanceof GenerateDataKeyCommand)).toHaveLength(2);
    expect(sent[0].input.EncryptionContext).toEqual(context);
  });

  it('refuses another context, a tampered value and a foreign format', async () => {
    const { client } = fakeKms();
    const keys = new KmsKeys(KEY_ARN, client);
    const sealed = await keys.encrypt('value', { organizationId: 'org-1' });
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[4], 'base64url');
    flipped[0] ^= 1;
    const tampered = [...parts.slice(0, 4), flipped.toString('base64url')].join('.');

    await expect(keys.decrypt(sealed, { organizationId: 'org-2' })).rejects.toThrow(/InvalidCiphertext/);
    await expect(keys.decrypt(tampered, { organizationId: 'org-1' })).rejects.toThrow();
    await expect(keys.decrypt('local1.abc', {})).rejects.toThrow(/not a KMS envelope/);
  });

  it('works without a context, and says so when the function has no key', async () => {
    const { client } = fakeKms();
    const keys = new KmsKeys(KEY_ARN, client);
    expect(await keys.decrypt(await keys.encrypt('x'))).toBe('x');
    await expect(new KmsKeys(undefined, client).encrypt('x')).rejects.toThrow(/'keys'/);
  });
});
