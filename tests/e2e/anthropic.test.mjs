// End to end with the official Anthropic SDK pointed at corral's /v1/messages, against an OpenAI
// provider (translated both ways) and an Anthropic provider (passed through); and the official
// OpenAI SDK against the Anthropic provider (translated). corral-mock serves both dialects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { CORRAL, MOCK, firstError, sha, startCorral, startMock, stopAll } from './harness.mjs';

let origin;

before(async () => {
  assert.ok(CORRAL && MOCK, 'CORRAL_BIN and CORRAL_MOCK_BIN must be set');
  const mockPort = await startMock('--chunks', '4');
  const port = await startCorral((dir) => `server:
  listen: "127.0.0.1:0"
  threads: 2
state:
  path: "${join(dir, 'state.db')}"
providers:
  openai:
    base_url: "http://127.0.0.1:${mockPort}/v1"
    api_key: "provider-key-openai"
  anthropic:
    api: anthropic
    base_url: "http://127.0.0.1:${mockPort}/v1"
    api_key: "provider-key-anthropic"
models:
  gpt-4.1:
    routes: [{provider: openai}]
  claude-sonnet-5:
    routes: [{provider: anthropic}]
tenants:
  acme:
    api_keys: ["${sha('sk-acme-e2e')}"]
  limited:
    api_keys: ["${sha('sk-limited-e2e')}"]
    rate_limits: { requests_per_minute: 120, burst_allowance: 1.0 }
`);
  origin = `http://127.0.0.1:${port}`;
});

after(stopAll);

const anthropic = (apiKey = 'sk-acme-e2e', maxRetries = 0) =>
  new Anthropic({ apiKey, baseURL: origin, maxRetries, timeout: 10000 });
const openai = () => new OpenAI({ apiKey: 'sk-acme-e2e', baseURL: `${origin}/v1`, maxRetries: 0, timeout: 10000 });

const hello = [{ role: 'user', content: 'Say hello' }];
const tools = [
  {
    name: 'get_weather',
    description: 'The weather in a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

// The stream's events obey Anthropic's grammar: message_start first, blocks numbered from 0
// without gaps, each started, given deltas and stopped in turn, then message_delta, message_stop.
function assertGrammar(events) {
  const types = events.map((e) => e.type).filter((t) => t !== 'ping');
  assert.equal(types[0], 'message_start');
  assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop']);
  let open = -1;
  let next = 0;
  for (const e of events) {
    if (e.type === 'content_block_start') {
      assert.equal(open, -1, 'a block started inside another');
      assert.equal(e.index, next++);
      open = e.index;
    } else if (e.type === 'content_block_delta') {
      assert.equal(e.index, open);
    } else if (e.type === 'content_block_stop') {
      assert.equal(e.index, open);
      open = -1;
    }
  }
  assert.equal(open, -1);
  assert.ok(next > 0, 'no content block');
}

for (const [how, model] of [
  ['translated to an OpenAI provider', 'gpt-4.1'],
  ['passed through to an Anthropic provider', 'claude-sonnet-5'],
]) {
  test(`messages.create, ${how}`, async () => {
    const m = await anthropic().messages.create({ model, max_tokens: 200, system: 'Be brief.', messages: hello });
    assert.equal(m.type, 'message');
    assert.equal(m.role, 'assistant');
    assert.equal(m.model, model);
    assert.equal(m.stop_reason, 'end_turn');
    assert.equal(m.content[0].type, 'text');
    assert.ok(m.content[0].text.split(' ').length >= 4, m.content[0].text);
    assert.ok(m.usage.input_tokens > 0 && m.usage.output_tokens > 0, JSON.stringify(m.usage));
  });

  test(`messages.stream() with its helpers and finalMessage(), ${how}`, async () => {
    const stream = anthropic().messages.stream({ model, max_tokens: 200, messages: hello });
    let text = '';
    const events = [];
    stream.on('text', (delta) => (text += delta));
    stream.on('streamEvent', (e) => events.push(e));
    const final = await stream.finalMessage();
    assertGrammar(events);
    assert.ok(events.filter((e) => e.type === 'content_block_delta').length >= 4, 'the answer came in pieces');
    assert.equal(final.content[0].text, text);
    assert.ok(text.split(' ').length >= 4, text);
    assert.equal(final.stop_reason, 'end_turn');
    assert.ok(final.usage.output_tokens > 0, JSON.stringify(final.usage));
  });

  test(`a tool-use round trip, whole and streamed, ${how}`, async () => {
    const c = anthropic();
    const first = await c.messages.create({ model, max_tokens: 200, tools, tool_choice: { type: 'any' }, messages: hello });
    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content.find((b) => b.type === 'tool_use');
    assert.ok(use, JSON.stringify(first.content));
    assert.equal(use.name, 'get_weather');
    assert.deepEqual(use.input, { city: 'mock' });
    assert.ok(use.id.length > 0);

    const second = await c.messages.create({
      model,
      max_tokens: 200,
      tools,
      messages: [
        ...hello,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] },
      ],
    });
    assert.equal(second.stop_reason, 'end_turn');
    assert.equal(second.content[0].type, 'text');

    const stream = c.messages.stream({ model, max_tokens: 200, tools, tool_choice: { type: 'any' }, messages: hello });
    const partials = [];
    const events = [];
    stream.on('inputJson', (partial) => partials.push(partial));
    stream.on('streamEvent', (e) => events.push(e));
    const final = await stream.finalMessage();
    assertGrammar(events);
    assert.equal(final.stop_reason, 'tool_use');
    assert.ok(partials.length >= 1);
    assert.deepEqual(final.content.find((b) => b.type === 'tool_use').input, { city: 'mock' });
  });

  test(`a 429 is a RateLimitError, and the SDK's retry waits retry-after then succeeds, ${how}`, async () => {
    const ask = (c) => c.messages.create({ model, max_tokens: 50, messages: hello });
    const noRetry = anthropic('sk-limited-e2e');
    const limited = await firstError(() => ask(noRetry));
    assert.ok(limited instanceof Anthropic.RateLimitError, `expected RateLimitError, got ${limited}`);
    assert.equal(limited.status, 429);
    assert.equal(limited.error.type, 'error');
    assert.equal(limited.error.error.type, 'rate_limit_error');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.headers.get('anthropic-ratelimit-requests-remaining'), '0');
    assert.ok(!Number.isNaN(Date.parse(limited.headers.get('anthropic-ratelimit-requests-reset'))));
    const waitMs = Number(limited.headers.get('retry-after-ms'));
    assert.ok(waitMs > 0 && waitMs <= 500, `retry-after-ms ${waitMs}`);

    const started = Date.now();
    const m = await ask(anthropic('sk-limited-e2e', 3));
    assert.equal(m.type, 'message');
    assert.ok(Date.now() - started >= waitMs - 50, 'the SDK waited for the limit to refill');

    // The provider's own 429, in Anthropic's shape whatever the provider's dialect.
    await assert.rejects(
      anthropic().messages.create({ model, max_tokens: 50, messages: hello }, { headers: { 'x-mock-status': '429' } }),
      (err) =>
        err instanceof Anthropic.RateLimitError &&
        err.error.error.type === 'rate_limit_error' &&
        err.error.error.message === 'mock: injected error',
    );
  });

  test(`an unknown key is an AuthenticationError, ${how}`, async () => {
    await assert.rejects(
      anthropic('sk-wrong').messages.create({ model, max_tokens: 50, messages: hello }),
      (err) =>
        err instanceof Anthropic.AuthenticationError && err.status === 401 && err.error.error.type === 'authentication_error',
    );
  });
}

test('the OpenAI SDK against an Anthropic provider: chat', async () => {
  const r = await openai().chat.completions.create({
    model: 'claude-sonnet-5',
    messages: [{ role: 'system', content: 'Be brief.' }, ...hello],
  });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, 'claude-sonnet-5');
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.ok(r.choices[0].message.content.split(' ').length >= 4);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  assert.ok(r.usage.completion_tokens > 0);
});

test('the OpenAI SDK against an Anthropic provider: stream', async () => {
  const stream = await openai().chat.completions.create({
    model: 'claude-sonnet-5',
    messages: hello,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    chunks += 1;
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.ok(chunks >= 4, `only ${chunks} chunks`);
  assert.ok(text.split(' ').length >= 4, text);
  assert.equal(finish, 'stop');
  assert.ok(usage && usage.completion_tokens > 0 && usage.prompt_tokens > 0, JSON.stringify(usage));
});

test('the OpenAI SDK against an Anthropic provider: a tool call and its result', async () => {
  const functions = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'The weather in a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    },
  ];
  const c = openai();
  const first = await c.chat.completions.create({
    model: 'claude-sonnet-5',
    messages: hello,
    tools: functions,
    tool_choice: 'required',
  });
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  const call = first.choices[0].message.tool_calls[0];
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'mock' });

  const second = await c.chat.completions.create({
    model: 'claude-sonnet-5',
    messages: [...hello, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
    tools: functions,
  });
  assert.equal(second.choices[0].finish_reason, 'stop');
  assert.ok(second.choices[0].message.content.length > 0);

  // Streamed: the call's arguments arrive as deltas of one tool call.
  const stream = await c.chat.completions.create({
    model: 'claude-sonnet-5',
    messages: hello,
    tools: functions,
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    stream: true,
  });
  let args = '';
  let id = null;
  let finish = null;
  for await (const chunk of stream) {
    for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
      assert.equal(tc.index, 0);
      id = tc.id ?? id;
      args += tc.function?.arguments ?? '';
    }
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.ok(id);
  assert.deepEqual(JSON.parse(args), { city: 'mock' });
  assert.equal(finish, 'tool_calls');
});
