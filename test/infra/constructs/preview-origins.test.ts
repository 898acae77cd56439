import { runInNewContext } from 'node:vm';
import { PREVIEW_ROUTING_CODE } from '../../../infra/constructs/preview-origins';

/** Runs the viewer-request function as CloudFront would. */
function route(host: string, uri: string) {
  const handler = runInNewContext(`${PREVIEW_ROUTING_CODE}; handler`) as (e: unknown) => { uri: string; headers: Record<string, { value: string }> };
  return handler({ request: { uri, method: 'GET', headers: { host: { value: host } }, querystring: {} } });
}

describe('preview routing function', () => {
  it.each([
    ['/', '/api/_preview'],
    ['/index.html', '/api/_preview/index.html'],
    ['/assets/app.js', '/api/_preview/assets/app.js'],
  ])('%s → %s, with the viewer host in x-preview-host', (uri, expected) => {
    const out = route(`p-${'a'.repeat(32)}.preview.example.com`, uri);
    expect(out.uri).toBe(expected);
    expect(out.headers['x-preview-host']).toEqual({ value: `p-${'a'.repeat(32)}.preview.example.com` });
  });
});
