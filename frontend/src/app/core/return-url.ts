/** Accepts only paths inside the dashboard, so `?returnUrl=` cannot send anyone to another site. */
export function safeReturnUrl(value: string | null | undefined, fallback = '/'): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  return value;
}
