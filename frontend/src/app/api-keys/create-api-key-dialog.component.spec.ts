import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Clipboard } from '@angular/cdk/clipboard';
import { TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { firstValueFrom } from 'rxjs';
import { apiKey } from '../../testing/fixtures';
import { nextRequest, settle } from '../../testing/http';
import type { ApiKey } from '../api/types';
import { CreateApiKeyDialog } from './create-api-key-dialog.component';

describe('CreateApiKeyDialog', () => {
  const copy = vi.fn(() => true);

  beforeEach(() => {
    copy.mockClear();
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), { provide: Clipboard, useValue: { copy } }],
    });
  });

  afterEach(() => {
    TestBed.inject(MatDialog).closeAll();
    TestBed.inject(HttpTestingController).verify();
  });

  function el<T extends HTMLElement>(testId: string): T | null {
    return document.querySelector<T>(`[data-testid="${testId}"]`);
  }

  it('creates the key, shows the secret once with a copy button, and closes without it', async () => {
    const ref = TestBed.inject(MatDialog).open<CreateApiKeyDialog, unknown, ApiKey>(CreateApiKeyDialog);
    const closed = firstValueFrom(ref.afterClosed());
    await settle();

    const name = el<HTMLInputElement>('api-key-name')!;
    name.value = 'CI runner';
    name.dispatchEvent(new Event('input'));
    el<HTMLButtonElement>('api-key-submit')!.click();
    TestBed.tick();

    const req = await nextRequest({ method: 'POST', url: '/api/api-keys' });
    expect(req.request.body).toEqual({ name: 'CI runner', expiresInDays: 90 });
    req.flush({ ...apiKey({ id: 'key_9', name: 'CI runner' }), key: 'pk_live_s3cret' });
    await settle();

    expect(el('api-key-secret')?.textContent).toBe('pk_live_s3cret');
    expect(el('api-key-name')).toBeNull();
    expect(ref.disableClose).toBe(true);

    el<HTMLButtonElement>('api-key-copy')!.click();
    TestBed.tick();
    expect(copy).toHaveBeenCalledWith('pk_live_s3cret');
    expect(el('api-key-copy')?.textContent).toContain('Copied');

    el<HTMLButtonElement>('api-key-done')!.click();
    TestBed.tick();
    const result = await closed;
    expect(result?.id).toBe('key_9');
    expect(result && 'key' in result).toBe(false);
    expect(document.body.textContent).not.toContain('pk_live_s3cret');
  });

  it('keeps the form open with the message when creation fails', async () => {
    TestBed.inject(MatDialog).open(CreateApiKeyDialog);
    TestBed.tick();
    const name = el<HTMLInputElement>('api-key-name')!;
    name.value = 'x';
    name.dispatchEvent(new Event('input'));
    el<HTMLButtonElement>('api-key-submit')!.click();
    (await nextRequest('/api/api-keys')).flush(
      { error: { code: 'LIMIT', message: 'You have too many keys' } },
      { status: 409, statusText: 'Conflict' },
    );
    await settle();
    expect(el('error-banner')?.textContent).toContain('You have too many keys');
    expect(el('api-key-secret')).toBeNull();
  });
});
