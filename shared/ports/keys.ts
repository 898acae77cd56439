/** Envelope encryption: KMS data keys on AWS, a master key file in the data directory locally. */
export interface KeysPort {
  encrypt(plaintext: string, context?: Record<string, string>): Promise<string>;
  decrypt(ciphertext: string, context?: Record<string, string>): Promise<string>;
}
