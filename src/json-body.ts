// The one JSON body parser (a Fastify content-type parser). An empty body is "no body" (ARM
// SDKs POST listKeys without one); a malformed one is marked so each plane's error handler can
// name it in its own shape.

import type { FastifyBodyParser } from 'fastify';

export const parseJsonBody: FastifyBodyParser<string | Buffer> = (_request, body, done) => {
  const text = body.toString();
  if (text.trim() === '') return done(null, undefined);
  try {
    done(null, JSON.parse(text));
  } catch (err) {
    done(Object.assign(err as Error, { jsonParseError: true }), undefined);
  }
};
