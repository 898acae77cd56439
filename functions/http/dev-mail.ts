import { devMailRoutes as r } from '../../shared/contracts/dev-mail';
import { bind, httpApi } from '../../shared/http/api';
import { getDevMail, listDevMail } from '../../shared/domain/mail/dev-mailbox';

/** The dev mailbox (embedded runtime only: the manifest marks it localOnly, so it is never deployed). */
export const handler = httpApi('devMail', [
  bind(r.list, ({ c, query }) => listDevMail(c.db, query)),
  bind(r.get, ({ c, params }) => getDevMail(c.db, params.mailId)),
]);
