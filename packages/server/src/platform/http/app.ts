import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  serializerCompiler,
  validatorCompiler,
  jsonSchemaTransform,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { ERROR_STATUS } from '@accord/contracts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../../server.ts';
import { safeEqual } from '../crypto.ts';
import './http-context.ts';

export const SESSION_COOKIE = 'accord_session';
export const CSRF_HEADER = 'x-csrf-token';
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AppOptions {
  services: Services;
  logger: Logger;
  trustProxy: boolean;
  bodyLimit?: number;
  readiness: () => { ready: boolean; checks: Record<string, string> };
}

export async function buildApp(opts: AppOptions) {
  const { services } = opts;
  const app = Fastify({
    loggerInstance: opts.logger,
    trustProxy: opts.trustProxy,
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(cookie);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Accord API',
        version: '1',
        description: 'MSP-customer security agreements built from CISA AA22-131A, verified from evidence.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          token: { type: 'http', scheme: 'bearer', description: 'API token acc_<id>_<secret>' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  app.decorateRequest('accordCtx', null);
  app.decorateRequest('accordSession', null);

  // Handlers still at work, counted so that shutdown closes the database only after the last one
  // finished, including handlers whose client already went away (Fastify does not wait for those).
  let busy = 0;
  app.decorate('accordBusy', () => busy);
  app.addHook('onRoute', (route) => {
    const handler = route.handler as (this: unknown, ...args: unknown[]) => unknown;
    route.handler = async function (this: unknown, ...args: unknown[]) {
      busy++;
      try {
        return await handler.apply(this, args);
      } finally {
        busy--;
      }
    } as typeof route.handler;
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (req.url.startsWith('/api/v1')) reply.header('cache-control', 'no-store');
  });

  // Authentication: a bearer token or the session cookie. Routes decide what they need.
  app.addHook('preHandler', async (req) => {
    if (!req.url.startsWith('/api/v1') || req.routeOptions.config.auth === 'ingest') return;
    busy++;
    try {
      await authenticate(req);
    } finally {
      busy--;
    }
  });

  async function authenticate(req: FastifyRequest): Promise<void> {
    const meta = { ip: req.ip, requestId: String(req.id) };
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      req.accordCtx = await services.tokens.authenticate(auth.slice(7).trim(), meta);
      return;
    }
    const cookieValue = req.cookies[SESSION_COOKIE];
    if (cookieValue) {
      try {
        req.accordSession = await services.auth.resolve(cookieValue, meta);
      } catch (e) {
        if (req.routeOptions.config.auth !== 'public') throw e;
        return;
      }
      req.accordCtx = req.accordSession.ctx;
      // Cookie-authenticated writes must echo the session's CSRF token in a header. Public routes
      // (sign-in) are exempt: signing in again must not need the old session's token.
      if (UNSAFE.has(req.method) && req.routeOptions.config.auth !== 'public') {
        const sent = req.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !safeEqual(sent, req.accordSession.view.csrfToken)) {
          throw new AppError('csrf_failed', `missing or wrong ${CSRF_HEADER} header`);
        }
      }
    }
  }

  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({
      error: {
        code: 'not_found',
        message: `no route ${req.method} ${req.url.split('?')[0]}`,
        requestId: String(req.id),
      },
    });
  });

  app.setErrorHandler((err: FastifyError | AppError | ZodError, req, reply) => {
    const requestId = String(req.id);
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err }, 'request failed');
      return reply.status(err.status).send({
        error: {
          code: err.code,
          message: err.message,
          requestId,
          ...(err.details !== undefined ? { details: err.details } : {}),
        },
      });
    }
    const fe = err as FastifyError & { validation?: unknown[] };
    if (fe.validation || err instanceof ZodError || fe.code === 'FST_ERR_VALIDATION') {
      const issues = err instanceof ZodError ? err.issues : (fe.validation ?? []);
      return reply.status(400).send({
        error: {
          code: 'validation_failed',
          message: `the request is not valid: ${fe.message}`,
          requestId,
          details: { issues },
        },
      });
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .status(413)
        .send({ error: { code: 'payload_too_large', message: 'the request body is too large', requestId } });
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send({
        error: {
          code: fe.statusCode === 404 ? 'not_found' : 'bad_request',
          message: fe.message,
          requestId,
        },
      });
    }
    if (fe.code === 'FST_ERR_RESPONSE_SERIALIZATION' || !fe.statusCode || fe.statusCode >= 500) {
      req.log.error({ err }, 'request failed');
      return reply.status(ERROR_STATUS.internal).send({
        error: { code: 'internal', message: 'something went wrong; quote the request id', requestId },
      });
    }
    return reply
      .status(500)
      .send({ error: { code: 'internal', message: 'something went wrong', requestId } });
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const r = opts.readiness();
    return reply.status(r.ready ? 200 : 503).send({ status: r.ready ? 'ok' : 'starting', checks: r.checks });
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}
export type AccordApp = Awaited<ReturnType<typeof buildApp>>;
