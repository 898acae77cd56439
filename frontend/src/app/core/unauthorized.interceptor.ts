import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { SessionStore } from './session.store';

/** Calls that may answer 401 without meaning "the session ended". */
const IGNORED = ['/api/auth/', '/api/me', '/api/invitations/', '/api/dev/', '/api/health'];

/** A 401 in the middle of a signed-in session means it expired: drop it and go to sign-in, then come back. */
export const unauthorizedInterceptor: HttpInterceptorFn = (req, next) => {
  const store = inject(SessionStore);
  const router = inject(Router);
  return next(req).pipe(
    catchError((err: unknown) => {
      if (
        err instanceof HttpErrorResponse &&
        err.status === 401 &&
        req.url.startsWith('/api/') &&
        !IGNORED.some((prefix) => req.url.startsWith(prefix)) &&
        store.signedIn()
      ) {
        const returnUrl = router.url;
        store.clear();
        void router.navigate(['/sign-in'], { queryParams: { returnUrl } });
      }
      return throwError(() => err);
    }),
  );
};
