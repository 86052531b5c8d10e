// The bytes every target of an event receives. Apart from events/service.ts so the stores, which
// write the operational events themselves (events/operational.ts), build them the same way.
import { iso } from "../ids";

/**
 * The delivered bytes, built once: `{"id","type","created_at","data"}` in that order. `dataJson`,
 * when given, is the payload's text as published: it goes out as it came in, so numbers a double
 * cannot hold (1234567890123456789, 1e-400) reach the receiver digit for digit.
 */
export function eventBody(id: string, type: string, createdAt: number, data: unknown, dataJson = JSON.stringify(data)): string {
  return `{"id":${JSON.stringify(id)},"type":${JSON.stringify(type)},"created_at":"${iso(createdAt)}","data":${dataJson}}`;
}
