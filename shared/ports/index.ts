export * from './clock';
export * from './keys';
export * from './mailer';
export * from './objects';
export * from './queue';
export * from './scheduler';
export * from './sockets';
export * from './workflows';
