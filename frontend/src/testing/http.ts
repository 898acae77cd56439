import { HttpRequest } from '@angular/common/http';
import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

type Match = string | { method?: string; url: string } | ((req: HttpRequest<unknown>) => boolean);

/**
 * Waits (a few macrotasks at most) for the request `match` describes and returns it. Code under test often
 * sends its next request only after awaiting the previous one, so `expectOne` alone would look too early.
 */
export async function nextRequest(match: Match, tries = 20): Promise<TestRequest> {
  const http = TestBed.inject(HttpTestingController);
  for (let i = 0; i < tries; i++) {
    const found = http.match(match);
    if (found.length === 1) return found[0];
    if (found.length > 1) throw new Error(`Expected one request for ${describe(match)}, found ${found.length}`);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`No request for ${describe(match)}`);
}

/** Flushes our error envelope with `status`. */
export function flushError(req: TestRequest, status: number, body: object): void {
  req.flush(body, { status, statusText: 'Error' });
}

function describe(match: Match): string {
  if (typeof match === 'string') return match;
  if (typeof match === 'function') return 'a predicate';
  return `${match.method ?? ''} ${match.url}`.trim();
}

/**
 * Lets awaited promise chains in the code under test run, then renders: waits for `fixture` to be stable, or
 * (for overlays such as dialogs, which have no fixture) runs change detection once.
 */
export async function settle(fixture?: { whenStable(): Promise<unknown> }, rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  if (fixture) await fixture.whenStable();
  else TestBed.tick();
}
