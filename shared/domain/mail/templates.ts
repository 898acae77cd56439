import type { MailTemplate } from '../../contracts/messages';
import type { OutgoingMail } from '../../ports';

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function layout(title: string, paragraphs: string[], action: { label: string; url: string }): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${escape(p)}</p>`).join('');
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1f2937;max-width:560px;margin:24px auto">
<h1 style="font-size:20px">${escape(title)}</h1>${body}
<p><a href="${escape(action.url)}" style="background:#4f46e5;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escape(action.label)}</a></p>
<p style="color:#6b7280;font-size:12px">Or open this link: ${escape(action.url)}</p></body></html>`;
}

/** Renders a mail template into the text and HTML a person receives. */
export function renderMail(mail: MailTemplate): OutgoingMail {
  switch (mail.template) {
    case 'verify-email':
      return {
        to: mail.to,
        subject: 'Verify your email for Proliferate',
        text: `Hi ${mail.name},\n\nConfirm your email address to finish signing up:\n${mail.url}\n\nIf you did not sign up, ignore this message.`,
        html: layout('Verify your email', [`Hi ${mail.name},`, 'Confirm your email address to finish signing up.'], {
          label: 'Verify email',
          url: mail.url,
        }),
      };
    case 'invitation':
      return {
        to: mail.to,
        subject: `${mail.inviterName} invited you to ${mail.organizationName} on Proliferate`,
        text:
          `${mail.inviterName} invited you to join ${mail.organizationName} as ${mail.role}.\n\n` +
          `Accept the invitation:\n${mail.url}\n\nThe invitation expires on ${mail.expiresAt}.`,
        html: layout(
          `Join ${mail.organizationName}`,
          [`${mail.inviterName} invited you to join ${mail.organizationName} as ${mail.role}.`, `The invitation expires on ${mail.expiresAt}.`],
          { label: 'Accept invitation', url: mail.url },
        ),
      };
    case 'password-reset':
      return {
        to: mail.to,
        subject: 'Reset your Proliferate password',
        text: `Hi ${mail.name},\n\nReset your password:\n${mail.url}\n\nIf you did not ask for this, ignore this message.`,
        html: layout('Reset your password', [`Hi ${mail.name},`, 'Follow the link to choose a new password.'], {
          label: 'Reset password',
          url: mail.url,
        }),
      };
  }
}
