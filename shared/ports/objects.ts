/** S3 on AWS, files in the data directory locally. Keys are `/`-separated paths without a leading slash. */
export interface ObjectsPort {
  put(key: string, body: Buffer | string, options?: { contentType?: string }): Promise<void>;
  get(key: string): Promise<{ body: Buffer; contentType?: string } | null>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}
