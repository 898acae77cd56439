import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { errorBody } from '../../testing/fixtures';
import { flushError, nextRequest, settle } from '../../testing/http';
import { PublicPreviewPage } from './public-preview.page';

const ID = 'a'.repeat(32);

describe('PublicPreviewPage', () => {
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([{ path: 'preview/:id', component: PublicPreviewPage }], withComponentInputBinding())],
    });
    harness = await RouterTestingHarness.create();
  });

  afterEach(() => TestBed.inject(HttpTestingController).verify());

  it('frames the shared preview with its title', async () => {
    const navigation = harness.navigateByUrl(`/preview/${ID}`);
    (await nextRequest(`/api/previews/${ID}`)).flush({ id: ID, title: 'Checkout fix', port: 3000, url: `http://p-${ID}.localhost:4100/`, live: true });
    await navigation;
    await settle(harness.fixture);
    const el = harness.routeNativeElement!;
    expect(el.querySelector('[data-testid="public-preview-title"]')?.textContent).toContain('Checkout fix');
    expect(el.querySelector('iframe')?.getAttribute('src')).toBe(`http://p-${ID}.localhost:4100/`);
  });

  it('says so when the link was revoked', async () => {
    const navigation = harness.navigateByUrl(`/preview/${ID}`);
    flushError(await nextRequest(`/api/previews/${ID}`), 404, errorBody('not_found', 'Preview not found'));
    await navigation;
    await settle(harness.fixture);
    expect(harness.routeNativeElement!.querySelector('[data-testid="public-preview-missing"]')).not.toBeNull();
    expect(harness.routeNativeElement!.querySelector('iframe')).toBeNull();
  });
});
