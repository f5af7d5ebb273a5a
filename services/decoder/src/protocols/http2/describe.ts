// The Transaction fields of an HTTP/2 exchange: `http` always, `grpc` when the request's
// content-type is application/grpc*.
import type { Exchange, ProtocolFields } from '../protocol.js';
import { splitTarget } from '../http1/stitch.js';
import { decodeGrpcMessage, grpcTarget, isGrpc } from './grpc.js';
import type { Http2Frame } from './types.js';

export function describe(exchange: Exchange<Http2Frame>): ProtocolFields {
  const req = exchange.request.frame.msg;
  const res = exchange.response?.frame.msg ?? null;
  const { path, query } = splitTarget(req.method, req.path);
  // :authority stands in for Host (RFC 9113 §8.3.1)
  const requestHeaders = req.authority !== '' && req.headers['host'] === undefined ? { host: req.authority, ...req.headers } : req.headers;
  const fields: ProtocolFields = {
    http: {
      method: req.method,
      target: req.path,
      path,
      query,
      version: '2',
      statusCode: res === null || res.status === 0 ? null : res.status,
      reason: null,
      requestHeaders,
      responseHeaders: res?.headers ?? {},
      requestBodyBytes: req.bodyBytes,
      responseBodyBytes: res?.bodyBytes ?? 0,
    },
  };
  if (isGrpc(req.contentType)) {
    const { service, method } = grpcTarget(path);
    fields.grpc = {
      service,
      method,
      grpcStatus: res?.grpcStatus ?? null,
      grpcMessage: res?.grpcMessage == null ? null : decodeGrpcMessage(res.grpcMessage),
      requestMessages: req.grpc.messages,
      responseMessages: res?.grpc.messages ?? 0,
    };
  }
  return fields;
}
