// End to end with the official OpenAI SDK: corral-mock as the provider, corral in front, the
// SDK pointed at corral with a tenant's key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import OpenAI from 'openai';
import { CORRAL, MOCK, firstError, sha, startCorral, startMock, stopAll } from './harness.mjs';

let baseURL;

before(async () => {
  assert.ok(CORRAL && MOCK, 'CORRAL_BIN and CORRAL_MOCK_BIN must be set');
  const mockPort = await startMock('--chunks', '4');
  // A provider account that answers every request 503: routes through it fail over.
  const downPort = await startMock('--fail-status', '503');
  const port = await startCorral((dir) => `server:
  listen: "127.0.0.1:0"
  threads: 2
state:
  path: "${join(dir, 'state.db')}"
providers:
  mock:
    base_url: "http://127.0.0.1:${mockPort}/v1"
    api_key: "provider-key"
  down:
    base_url: "http://127.0.0.1:${downPort}/v1"
models:
  gpt-4.1:
    routes: [{provider: mock}]
  gpt-4.1-failover:
    routes: [{provider: down, model: gpt-4.1}, {provider: mock, model: gpt-4.1, priority: 1}]
  text-embedding-3-small:
    routes: [{provider: mock}]
tenants:
  acme:
    api_keys: ["${sha('sk-acme-e2e')}"]
  limited:
    api_keys: ["${sha('sk-limited-e2e')}"]
    rate_limits: { requests_per_minute: 120, burst_allowance: 1.0 }
`);
  baseURL = `http://127.0.0.1:${port}/v1`;
});

after(stopAll);

const client = () => new OpenAI({ apiKey: 'sk-acme-e2e', baseURL, maxRetries: 0, timeout: 10000 });

test('chat.completions.create', async () => {
  const r = await client().chat.completions.create({
    model: 'gpt-4.1',
    messages: [{ role: 'user', content: 'Say hello' }],
  });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, 'gpt-4.1');
  assert.ok(r.choices[0].message.content.length > 0);
  assert.ok(r.usage.total_tokens > 0);
});

test('chat.completions.create streamed', async () => {
  const stream = await client().chat.completions.create({
    model: 'gpt-4.1',
    messages: [{ role: 'user', content: 'Say hello' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let usage = null;
  for await (const chunk of stream) {
    chunks += 1;
    if (chunk.choices[0]?.delta?.content) text += chunk.choices[0].delta.content;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.ok(chunks >= 4, `only ${chunks} chunks`);
  assert.ok(text.split(' ').length >= 4);
  assert.ok(usage && usage.completion_tokens > 0);
});

test('embeddings.create', async () => {
  const r = await client().embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
  assert.equal(r.data.length, 2);
  assert.equal(r.data[0].embedding.length, 16);
  assert.equal(typeof r.data[0].embedding[0], 'number');
});

test('models.list', async () => {
  const ids = [];
  for await (const m of client().models.list()) ids.push(m.id);
  assert.deepEqual(ids.sort(), ['gpt-4.1', 'gpt-4.1-failover', 'text-embedding-3-small']);
});

test('a failover is a normal answer, whole or streamed', async () => {
  const ask = { model: 'gpt-4.1-failover', messages: [{ role: 'user', content: 'Say hello' }] };
  const { data, response } = await client().chat.completions.create(ask).withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.ok(data.choices[0].message.content.length > 0);
  assert.equal(response.headers.get('x-corral-attempts'), '2');

  const stream = await client().chat.completions.create({ ...ask, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.ok(text.split(' ').length >= 4, text);
});

test('responses.create', async () => {
  const r = await client().responses.create({ model: 'gpt-4.1', input: 'Say hello' });
  assert.equal(r.status, 'completed');
  assert.ok(r.output_text.length > 0);
});

test('a wrong key is an AuthenticationError', async () => {
  const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL, maxRetries: 0 });
  await assert.rejects(
    bad.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof OpenAI.AuthenticationError && err.status === 401 && err.code === 'invalid_api_key',
  );
});

test('an unknown model is a NotFoundError', async () => {
  await assert.rejects(
    client().chat.completions.create({ model: 'gpt-0', messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof OpenAI.NotFoundError && err.code === 'model_not_found',
  );
});

test('a rate limit surfaces as RateLimitError, and retries wait retry-after-ms then succeed', async () => {
  const noRetry = new OpenAI({ apiKey: 'sk-limited-e2e', baseURL, maxRetries: 0 });
  const ask = (c) => c.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }] });
  const limited = await firstError(() => ask(noRetry));
  assert.ok(limited instanceof OpenAI.RateLimitError, `expected RateLimitError, got ${limited}`);
  assert.equal(limited.status, 429);
  assert.equal(limited.code, 'rate_limit_exceeded');
  const waitMs = Number(limited.headers.get('retry-after-ms'));
  assert.ok(waitMs > 0 && waitMs <= 500, `retry-after-ms ${waitMs}`);

  const withRetry = new OpenAI({ apiKey: 'sk-limited-e2e', baseURL, maxRetries: 3 });
  const started = Date.now();
  const r = await ask(withRetry);
  assert.equal(r.object, 'chat.completion');
  assert.ok(Date.now() - started >= waitMs - 50, 'the SDK waited for the limit to refill');
});
