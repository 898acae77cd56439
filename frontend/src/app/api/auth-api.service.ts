import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, catchError, throwError } from 'rxjs';
import { toApiError } from './api-error';
import type { AuthSession, SignUpReply } from './types';

/** Where the verification link lands once the address is confirmed, unless a caller passes its own. */
export const DEFAULT_VERIFIED_URL = '/onboarding';

/** better-auth's endpoints under `/api/auth`; the session travels in a same-origin cookie. */
@Injectable({ providedIn: 'root' })
export class AuthApi {
  private readonly http = inject(HttpClient);

  private post<T>(path: string, body: unknown): Observable<T> {
    return this.http.post<T>(`/api/auth/${path}`, body).pipe(catchError((e) => throwError(() => toApiError(e))));
  }

  signUp(body: { name: string; email: string; password: string }, callbackURL = DEFAULT_VERIFIED_URL): Observable<SignUpReply> {
    return this.post('sign-up/email', { ...body, callbackURL });
  }

  signIn(body: { email: string; password: string }): Observable<unknown> {
    return this.post('sign-in/email', body);
  }

  signOut(): Observable<unknown> {
    return this.post('sign-out', {});
  }

  sendVerificationEmail(email: string, callbackURL = DEFAULT_VERIFIED_URL): Observable<unknown> {
    return this.post('send-verification-email', { email, callbackURL });
  }

  getSession(): Observable<AuthSession | null> {
    return this.http.get<AuthSession | null>('/api/auth/get-session').pipe(catchError((e) => throwError(() => toApiError(e))));
  }
}
