import { runInNewContext } from 'node:vm';
import { SPA_ROUTING_CODE } from '../../../infra/constructs/spa-routing';

/** Runs the CloudFront Function's code as CloudFront would, on a viewer request for `uri`. */
function route(uri: string): string {
  const handler = runInNewContext(`${SPA_ROUTING_CODE}; handler`) as (e: unknown) => { uri: string };
  return handler({ request: { uri, method: 'GET', headers: {}, querystring: {} } }).uri;
}

describe('SPA routing function', () => {
  it.each([
    ['/', '/index.html'],
    ['/sessions/42', '/index.html'],
    ['/settings/', '/index.html'],
    ['/main-ABC123.js', '/main-ABC123.js'],
    ['/assets/logo.svg', '/assets/logo.svg'],
    ['/index.html', '/index.html'],
  ])('%s → %s', (uri, expected) => {
    expect(route(uri)).toBe(expected);
  });
});
