declare module 'asl-validator' {
  interface AslError { 'Error code': string; Message: string }
  const validate: (
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ) => { isValid: boolean; errors: AslError[]; errorsText: (separator?: string) => string };
  export default validate;
}
