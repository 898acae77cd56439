import { TestBed } from '@angular/core/testing';
import { PreviewPane, toWebUrl } from './preview-pane.component';

describe('PreviewPane', () => {
  async function render(previews: { port: number; url: string }[]) {
    const fixture = TestBed.createComponent(PreviewPane);
    fixture.componentRef.setInput('previews', previews);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    return { fixture, root, q: <T extends HTMLElement>(id: string) => root.querySelector<T>(`[data-testid="${id}"]`) };
  }

  it('waits for a preview URL', async () => {
    const { q } = await render([]);
    expect(q('empty-state')?.textContent).toContain('Nothing to preview yet');
    expect(q('preview-frame')).toBeNull();
  });

  it('shows the first port in a sandboxed frame with an address bar and an open-in-new-tab link', async () => {
    const { q, fixture } = await render([
      { port: 3000, url: 'https://p3000.preview.test/' },
      { port: 5173, url: 'https://p5173.preview.test/' },
    ]);
    const frame = q<HTMLIFrameElement>('preview-frame')!;
    expect(frame.getAttribute('src')).toBe('https://p3000.preview.test/');
    expect(frame.getAttribute('sandbox')).toContain('allow-scripts');
    // Another origin than the dashboard's keeps its own origin.
    expect(frame.getAttribute('sandbox')).toContain('allow-same-origin');
    expect(q<HTMLInputElement>('preview-address')!.value).toBe('https://p3000.preview.test/');
    const open = q<HTMLAnchorElement>('preview-open')!;
    expect(open.getAttribute('href')).toBe('https://p3000.preview.test/');
    expect(open.getAttribute('target')).toBe('_blank');
    expect(open.getAttribute('rel')).toContain('noopener');

    const address = q<HTMLInputElement>('preview-address')!;
    address.value = 'https://p3000.preview.test/admin';
    address.dispatchEvent(new Event('input'));
    q<HTMLButtonElement>('preview-go')!.click();
    await fixture.whenStable();
    expect(q<HTMLIFrameElement>('preview-frame')!.getAttribute('src')).toBe('https://p3000.preview.test/admin');

    address.value = 'javascript:alert(1)';
    address.dispatchEvent(new Event('input'));
    q<HTMLButtonElement>('preview-go')!.click();
    await fixture.whenStable();
    expect(q<HTMLIFrameElement>('preview-frame')!.getAttribute('src')).toBe('https://p3000.preview.test/admin');
  });

  it('a preview on the dashboard origin runs without it (it cannot reach the dashboard)', async () => {
    const { q } = await render([{ port: 8000, url: '/preview/ses_1/8000/' }]);
    const frame = q<HTMLIFrameElement>('preview-frame')!;
    expect(frame.getAttribute('src')).toBe(`${location.origin}/preview/ses_1/8000/`);
    expect(frame.getAttribute('sandbox')).not.toContain('allow-same-origin');
  });

  it('accepts only web addresses', () => {
    expect(toWebUrl('https://a.test/x', 'http://local')).toBe('https://a.test/x');
    expect(toWebUrl('/p/1', 'http://local')).toBe('http://local/p/1');
    expect(toWebUrl('javascript:alert(1)', 'http://local')).toBeNull();
    expect(toWebUrl('data:text/html,x', 'http://local')).toBeNull();
  });
});
