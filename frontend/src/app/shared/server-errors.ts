import { AbstractControl, FormGroup } from '@angular/forms';
import { ApiError } from '../api/api-error';

/**
 * Puts each field error of a 400 on the form control it names (as the `server` error, shown by `<mat-error>`),
 * and returns what is left for a banner: the messages that name no control, or the error's own message.
 */
export function applyServerErrors(form: FormGroup, error: ApiError, aliases: Record<string, string> = {}): string | null {
  const leftover: string[] = [];
  for (const { field, message } of error.fields) {
    const control: AbstractControl | null = form.get(aliases[field] ?? field);
    if (control) {
      control.setErrors({ ...(control.errors ?? {}), server: message });
      control.markAsTouched();
    } else {
      leftover.push(message);
    }
  }
  if (error.fields.length === 0) return error.message;
  return leftover.length > 0 ? leftover.join(' ') : null;
}

/** The message a control should show under it, or null. */
export function controlError(control: AbstractControl, messages: Record<string, string> = {}): string | null {
  const errors = control.errors;
  if (!errors) return null;
  if (typeof errors['server'] === 'string') return errors['server'];
  for (const [key, text] of Object.entries(messages)) if (errors[key]) return text;
  if (errors['required']) return 'Required.';
  if (errors['email']) return 'Enter a valid email address.';
  if (errors['minlength']) return `At least ${errors['minlength'].requiredLength} characters.`;
  if (errors['maxlength']) return `At most ${errors['maxlength'].requiredLength} characters.`;
  if (errors['pattern']) return 'Not in the expected format.';
  return 'Invalid value.';
}
