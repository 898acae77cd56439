import { HttpErrorResponse } from '@angular/common/http';
import { fieldName, toApiError } from './api-error';

describe('toApiError', () => {
  it('maps field paths to form control names', () => {
    expect(fieldName('body.email')).toBe('email');
    expect(fieldName('body.allowedDomains.2')).toBe('allowedDomains');
    expect(fieldName('name')).toBe('name');
  });

  it('gives a readable message when the server sent none', () => {
    const error = toApiError(new HttpErrorResponse({ status: 0, error: new ProgressEvent('error') }));
    expect(error.message).toMatch(/Cannot reach the server/);
    expect(toApiError(new HttpErrorResponse({ status: 429, error: 'slow down' })).message).toMatch(/Too many requests/);
  });
});
