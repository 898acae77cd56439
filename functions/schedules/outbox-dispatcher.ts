// Being written: see infra/manifest.ts for what this function serves.
export const handler = async (): Promise<never> => {
  throw new Error("not implemented yet");
};
