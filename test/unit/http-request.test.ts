import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnauthorizedError, ValidationError } from '../../functions/domain/errors.js';
import { DEFAULT_MAX_BODY_BYTES, headerValue, HttpRequest } from '../../functions/http/http-handler.js';
import { detailsOfError, httpEvent } from './support.js';

const requestWith = (body: string | Buffer | undefined, options: { base64?: boolean; headers?: Record<string, string> } = {}) => {
  const encoded = body === undefined ? undefined : Buffer.isBuffer(body) || options.base64 ? Buffer.from(body).toString('base64') : body;
  return new HttpRequest(
    httpEvent({ body: encoded, isBase64Encoded: Buffer.isBuffer(body) || options.base64 === true, headers: options.headers ?? {} }),
  );
};

describe('HttpRequest.bodyBytes', () => {
  it('returns an empty buffer when there is no body', () => {
    expect(requestWith(undefined).bodyBytes()).toEqual(Buffer.alloc(0));
  });

  it('takes a text body as UTF-8', () => {
    expect(requestWith('héllo').bodyBytes().toString('utf8')).toBe('héllo');
  });

  it('decodes a base64 body', () => {
    expect(requestWith(Buffer.from([0, 1, 2, 255])).bodyBytes()).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it.each(['gzip', 'GZIP', ' gzip '])('gunzips a body declared with Content-Encoding %j', (encoding) => {
    const request = requestWith(gzipSync('{"a":1}'), { headers: { 'Content-Encoding': encoding } });
    expect(request.bodyBytes().toString('utf8')).toBe('{"a":1}');
  });

  it.each(['identity', ''])('takes Content-Encoding %j as no encoding', (encoding) => {
    expect(requestWith('x', { headers: { 'content-encoding': encoding } }).bodyBytes().toString()).toBe('x');
  });

  it('answers 400 for a body declared gzip that is not', () => {
    const request = requestWith(Buffer.from('not gzip at all'), { headers: { 'content-encoding': 'gzip' } });
    expect(detailsOfError(() => request.bodyBytes(), ValidationError)).toBe(
      'Content-Encoding is gzip but the body is not valid gzip data',
    );
  });

  it('answers 400 for a truncated gzip body', () => {
    const whole = gzipSync('x'.repeat(1000));
    const request = requestWith(whole.subarray(0, whole.length - 10), { headers: { 'content-encoding': 'gzip' } });
    expect(() => request.bodyBytes()).toThrow(ValidationError);
  });

  it('keeps the decompression failure as the cause', () => {
    const request = requestWith(Buffer.from('nope'), { headers: { 'content-encoding': 'gzip' } });
    try {
      request.bodyBytes();
      expect.unreachable();
    } catch (error) {
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
  });

  it('answers 400 for an encoding it does not support', () => {
    const request = requestWith('x', { headers: { 'content-encoding': 'br' } });
    expect(detailsOfError(() => request.bodyBytes(), ValidationError)).toBe('"br" is not supported; send gzip or no encoding');
  });

  it('accepts a body of exactly the limit', () => {
    expect(requestWith('x'.repeat(100)).bodyBytes(100)).toHaveLength(100);
  });

  it('answers 413 above the limit, counting bytes not characters', () => {
    expect(detailsOfError(() => requestWith('é'.repeat(51)).bodyBytes(100), PayloadTooLargeError)).toBe(
      'the body must be at most 100 bytes after decompression',
    );
  });

  it('answers 413 for a small gzip body that inflates beyond the limit', () => {
    const bomb = gzipSync(Buffer.alloc(DEFAULT_MAX_BODY_BYTES * 20));
    expect(bomb.length).toBeLessThan(DEFAULT_MAX_BODY_BYTES);
    const request = requestWith(bomb, { headers: { 'content-encoding': 'gzip' } });
    expect(() => request.bodyBytes()).toThrow(PayloadTooLargeError);
  });

  it('accepts a gzip body that inflates to exactly the limit', () => {
    const request = requestWith(gzipSync(Buffer.alloc(1000, 'a')), { headers: { 'content-encoding': 'gzip' } });
    expect(request.bodyBytes(1000)).toHaveLength(1000);
  });
});

describe('HttpRequest.jsonBody', () => {
  it('parses JSON, also from gzip', () => {
    expect(requestWith('{"a":[1,"x"]}').jsonBody()).toEqual({ a: [1, 'x'] });
    expect(requestWith(gzipSync('[1]'), { headers: { 'content-encoding': 'gzip' } }).jsonBody()).toEqual([1]);
  });

  it.each([undefined, '', ' \n'])('answers 400 for a missing body (%j)', (body) => {
    expect(detailsOfError(() => requestWith(body).jsonBody(), ValidationError)).toBe('this request needs a JSON body');
  });

  it.each(['{', '{"a":}', 'undefined', "{'a':1}", '[1,]'])('answers 400 naming the JSON problem for %j', (body) => {
    expect(detailsOfError(() => requestWith(body).jsonBody(), ValidationError)).toMatch(/^the body is not valid JSON: .+/);
  });

  it('answers 413 before parsing an oversized body', () => {
    expect(() => requestWith(`[${'1,'.repeat(DEFAULT_MAX_BODY_BYTES)}1]`).jsonBody()).toThrow(PayloadTooLargeError);
  });

  it('takes a larger limit when the route sets one', () => {
    const body = `"${'x'.repeat(DEFAULT_MAX_BODY_BYTES)}"`;
    expect(requestWith(body).jsonBody(DEFAULT_MAX_BODY_BYTES * 2)).toHaveLength(DEFAULT_MAX_BODY_BYTES);
  });
});

describe('HttpRequest.accountId', () => {
  it('is the account the authorizer accepted', () => {
    const event = httpEvent({ requestContext: { authorizer: { lambda: { accountId: 'acme' } } } });
    expect(new HttpRequest(event).accountId).toBe('acme');
  });

  it('answers 401 with the authorizer’s reason when the key was rejected', () => {
    const event = httpEvent({ requestContext: { authorizer: { lambda: { rejection: 'the API key has been revoked' } } } });
    expect(detailsOfError(() => new HttpRequest(event).accountId, UnauthorizedError)).toBe('the API key has been revoked');
  });

  it('answers 401 when no authorizer ran', () => {
    expect(detailsOfError(() => new HttpRequest(httpEvent({})).accountId, UnauthorizedError)).toBe(
      'a valid X-API-KEY header is required',
    );
  });
});

describe('HttpRequest parameters', () => {
  it('reads path and query parameters, undefined when absent', () => {
    const request = new HttpRequest(httpEvent({ pathParameters: { ruleId: 'r1' }, queryStringParameters: { meterApiName: 'm' } }));
    expect(request.pathParameter('ruleId')).toBe('r1');
    expect(request.queryParameter('meterApiName')).toBe('m');
    expect(request.pathParameter('other')).toBeUndefined();
    expect(new HttpRequest(httpEvent({})).queryParameter('meterApiName')).toBeUndefined();
  });
});

describe('headerValue', () => {
  it('finds a header whatever its case', () => {
    const event = httpEvent({ headers: { 'X-Api-Key': 'k' } });
    expect(headerValue(event, 'x-api-key')).toBe('k');
    expect(headerValue(event, 'X-API-KEY')).toBe('k');
    expect(headerValue(event, 'content-type')).toBeUndefined();
  });
});
