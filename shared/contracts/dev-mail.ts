import * as z from 'zod';
import { Id, IsoDate, route } from './route';

export const DevMail = z.object({
  id: Id,
  to: z.string(),
  from: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string().nullable(),
  createdAt: IsoDate,
});

export const devMailRoutes = {
  list: route({
    method: 'GET',
    path: '/api/dev/mail',
    summary: 'Mail sent on this machine (local runtime only), newest first',
    access: 'public',
    query: z.object({ to: z.string().max(254).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }).strict(),
    response: z.object({ messages: z.array(DevMail) }),
  }),
  get: route({
    method: 'GET',
    path: '/api/dev/mail/{mailId}',
    summary: 'One message of the dev mailbox',
    access: 'public',
    params: z.object({ mailId: Id }).strict(),
    response: DevMail,
  }),
};
