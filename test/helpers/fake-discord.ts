// A local stand-in for Discord's API: records every request and answers from a queue of
// canned responses (204 No Content when the queue is empty), like a real webhook execute.
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type CannedResponse = { status: number; body?: string; headers?: Record<string, string>; hang?: boolean };

export interface FakeDiscord {
  url: string;
  requests: RecordedRequest[];
  respondWith(...responses: CannedResponse[]): void;
  stop(): void;
}

export function startFakeDiscord(): FakeDiscord {
  const requests: RecordedRequest[] = [];
  const queue: CannedResponse[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      requests.push({
        method: request.method,
        path: url.pathname + url.search,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
      });
      const next = queue.shift() ?? { status: 204 };
      if (next.hang) await new Promise(() => {}); // never answers: the client's timeout must end it
      return new Response(next.body ?? null, { status: next.status, headers: next.headers });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    respondWith: (...responses) => queue.push(...responses),
    stop: () => server.stop(true),
  };
}
