import { linkify } from './linkify';

describe('linkify', () => {
  it('finds links and leaves trailing punctuation outside them', () => {
    const parts = linkify('Confirm: http://localhost:4100/api/auth/verify-email?token=abc&callbackURL=%2Fonboarding.\nThanks');
    expect(parts).toEqual([
      { kind: 'text', text: 'Confirm: ' },
      {
        kind: 'link',
        text: 'http://localhost:4100/api/auth/verify-email?token=abc&callbackURL=%2Fonboarding',
        href: 'http://localhost:4100/api/auth/verify-email?token=abc&callbackURL=%2Fonboarding',
      },
      { kind: 'text', text: '.\nThanks' },
    ]);
  });

  it('leaves text without links alone', () => {
    expect(linkify('no links here')).toEqual([{ kind: 'text', text: 'no links here' }]);
  });
});
