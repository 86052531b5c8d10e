// The console's snippet generators (public/js/snippets.js) for the create-webhook example of
// docs/api-guide.md (surface A): exact text per language, and line for line the samples clients
// were given for it (DOC_SAMPLES below) once indentation is ignored (their copy lost it).
import { describe, expect, test } from "bun:test";
import { buildRequest, findOperation } from "../public/js/operations.js";
import { LANGUAGES, bodyText, pythonLiteral, snippet } from "../public/js/snippets.js";

const DOC_ORIGIN = "https://api.mythic-analytics.com";
const DOC_URL = `${DOC_ORIGIN}/api/v1/links/webhooks`;
const DOC_BODY = {
  url: "https://api.acme-retail.com/webhooks/links",
  events: ["link.clicked", "uptime.down"],
  secret: "example_string",
  metadata: {},
};
const docRequest = {
  method: "POST",
  url: DOC_URL,
  headers: [
    ["Content-Type", "application/json"],
    ["Authorization", "Bearer YOUR_API_TOKEN"],
  ] as [string, string][],
  body: DOC_BODY,
};

// The samples clients were given, copied verbatim (they have no indentation).
const DOC_JSON = `{
"url": "https://api.acme-retail.com/webhooks/links",
"events": [
"link.clicked",
"uptime.down"
],
"secret": "example_string",
"metadata": {}
}`;
const DOC_SAMPLES: Record<string, string> = {
  curl: `curl -X POST "https://api.mythic-analytics.com/api/v1/links/webhooks" \\
-H "Content-Type: application/json" \\
-H "Authorization: Bearer YOUR_API_TOKEN" \\
-d '${DOC_JSON}'`,
  python: `import requests
import json
url = "https://api.mythic-analytics.com/api/v1/links/webhooks"
headers = {
"Content-Type": "application/json",
"Authorization": "Bearer YOUR_API_TOKEN"
}
data = ${DOC_JSON}
response = requests.post(url, headers=headers, json=data)
print(response.json())`,
  javascript: `const response = await fetch("https://api.mythic-analytics.com/api/v1/links/webhooks", {
method: "POST",
headers: {
"Content-Type": "application/json",
"Authorization": "Bearer YOUR_API_TOKEN"
},
body: JSON.stringify(${DOC_JSON})
});
const data = await response.json();
console.log(data);`,
  go: `package main
import (
"fmt"
"net/http"
"bytes"
"encoding/json"
)
func main() {
data := []byte(\`${DOC_JSON}\`)
req, err := http.NewRequest("POST", "https://api.mythic-analytics.com/api/v1/links/webhooks", bytes.NewBuffer(data))
if err != nil {
panic(err)
}
req.Header.Set("Content-Type", "application/json")
req.Header.Set("Authorization", "Bearer YOUR_API_TOKEN")
client := &http.Client{}
resp, err := client.Do(req)
if err != nil {
panic(err)
}
defer resp.Body.Close()
fmt.Println("Response Status:", resp.Status)
}`,
  ruby: `require 'net/http'
require 'json'
uri = URI('https://api.mythic-analytics.com/api/v1/links/webhooks')
http = Net::HTTP.new(uri.host, uri.port)
http.use_ssl = true
request = Net::HTTP::Post.new(uri)
request['Content-Type'] = 'application/json'
request['Authorization'] = 'Bearer YOUR_API_TOKEN'
request.body = '${DOC_JSON}'
response = http.request(request)
puts response.body`,
};

const unindented = (text: string) => text.split("\n").map((line) => line.trimStart());

describe("snippets for the documented create-webhook example", () => {
  test("cURL, exactly", () => {
    expect(snippet("curl", docRequest)).toBe(`curl -X POST "https://api.mythic-analytics.com/api/v1/links/webhooks" \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer YOUR_API_TOKEN" \\
  -d '{
  "url": "https://api.acme-retail.com/webhooks/links",
  "events": [
    "link.clicked",
    "uptime.down"
  ],
  "secret": "example_string",
  "metadata": {}
}'`);
  });

  test("Python (requests), exactly", () => {
    expect(snippet("python", docRequest)).toBe(`import requests
import json
url = "https://api.mythic-analytics.com/api/v1/links/webhooks"
headers = {
    "Content-Type": "application/json",
    "Authorization": "Bearer YOUR_API_TOKEN"
}
data = {
    "url": "https://api.acme-retail.com/webhooks/links",
    "events": [
        "link.clicked",
        "uptime.down"
    ],
    "secret": "example_string",
    "metadata": {}
}
response = requests.post(url, headers=headers, json=data)
print(response.json())`);
  });

  test("JavaScript (fetch), exactly", () => {
    expect(snippet("javascript", docRequest)).toBe(`const response = await fetch("https://api.mythic-analytics.com/api/v1/links/webhooks", {
  method: "POST",
  headers: {
    "Content-Type": "application/json",
    "Authorization": "Bearer YOUR_API_TOKEN"
  },
  body: JSON.stringify({
    "url": "https://api.acme-retail.com/webhooks/links",
    "events": [
      "link.clicked",
      "uptime.down"
    ],
    "secret": "example_string",
    "metadata": {}
  })
});
const data = await response.json();
console.log(data);`);
  });

  test("Go (net/http), exactly", () => {
    expect(snippet("go", docRequest)).toBe(`package main

import (
\t"bytes"
\t"fmt"
\t"net/http"
)

func main() {
\tdata := []byte(\`{
  "url": "https://api.acme-retail.com/webhooks/links",
  "events": [
    "link.clicked",
    "uptime.down"
  ],
  "secret": "example_string",
  "metadata": {}
}\`)
\treq, err := http.NewRequest("POST", "https://api.mythic-analytics.com/api/v1/links/webhooks", bytes.NewBuffer(data))
\tif err != nil {
\t\tpanic(err)
\t}
\treq.Header.Set("Content-Type", "application/json")
\treq.Header.Set("Authorization", "Bearer YOUR_API_TOKEN")
\tclient := &http.Client{}
\tresp, err := client.Do(req)
\tif err != nil {
\t\tpanic(err)
\t}
\tdefer resp.Body.Close()
\tfmt.Println("Response Status:", resp.Status)
}`);
  });

  test("Ruby (net/http), exactly", () => {
    expect(snippet("ruby", docRequest)).toBe(`require 'net/http'
require 'json'
uri = URI('https://api.mythic-analytics.com/api/v1/links/webhooks')
http = Net::HTTP.new(uri.host, uri.port)
http.use_ssl = true
request = Net::HTTP::Post.new(uri)
request['Content-Type'] = 'application/json'
request['Authorization'] = 'Bearer YOUR_API_TOKEN'
request.body = '{
  "url": "https://api.acme-retail.com/webhooks/links",
  "events": [
    "link.clicked",
    "uptime.down"
  ],
  "secret": "example_string",
  "metadata": {}
}'
response = http.request(request)
puts response.body`);
  });

  test.each(["curl", "python", "javascript", "ruby"])("%s is the given sample line for line, ignoring indentation", (language) => {
    expect(unindented(snippet(language, docRequest))).toEqual(unindented(DOC_SAMPLES[language]!));
  });

  test("Go differs from the given sample only in its import block, which must compile", () => {
    // The given sample imports encoding/json without using it, which Go refuses to compile;
    // the rest is the same, with imports in gofmt order and gofmt's blank lines.
    const ours = unindented(snippet("go", docRequest)).filter((line) => line !== "");
    const doc = unindented(DOC_SAMPLES.go!);
    expect(ours.slice(0, 2)).toEqual(doc.slice(0, 2));
    expect(ours.slice(2, 5)).toEqual(['"bytes"', '"fmt"', '"net/http"']);
    expect(ours.slice(5)).toEqual(doc.slice(6));
  });

  test("the console builds this exact request from the create form", () => {
    const op = findOperation("create-webhook")!;
    const req = buildRequest(
      op,
      { url: DOC_BODY.url, events: ["uptime.down", "link.clicked"], secret: "example_string", metadata: "{}" },
      { bearer: "", apiKey: "" },
      DOC_ORIGIN,
    );
    expect(req.errors).toEqual({});
    expect(req.missing).toEqual([]);
    for (const { id } of LANGUAGES) expect(snippet(id, req)).toBe(snippet(id, docRequest));
  });
});

describe("the tenant picked for a platform key", () => {
  const formValues = { url: DOC_BODY.url, events: ["uptime.down", "link.clicked"], secret: "example_string", metadata: "{}" };
  const build = (context: { tenantId?: string }) => buildRequest(findOperation("create-webhook")!, formValues, { bearer: "", apiKey: "" }, DOC_ORIGIN, context);

  test("the default tenant leaves the documented example byte-identical in every language", () => {
    for (const { id } of LANGUAGES) expect(snippet(id, build({ tenantId: "default" }))).toBe(snippet(id, docRequest));
  });

  test("another tenant adds tenant_id to the body of every language's snippet", () => {
    const req = build({ tenantId: "acme-retail" });
    const json = bodyText({ ...DOC_BODY, tenant_id: "acme-retail" })!;
    expect(snippet("curl", req)).toEndWith(`-d '${json}'`);
    expect(snippet("javascript", req)).toContain(`body: JSON.stringify(${json.split("\n").join("\n  ")})`);
    expect(snippet("go", req)).toContain(`data := []byte(\`${json}\`)`);
    expect(snippet("ruby", req)).toContain(`request.body = '${json}'`);
    expect(snippet("python", req)).toContain('    "metadata": {},\n    "tenant_id": "acme-retail"\n}');
  });

  test("the webhook list of a tenant: tenant_id in every snippet's URL", () => {
    const req = buildRequest(findOperation("list-webhooks")!, { limit: "20" }, { bearer: "k", apiKey: "" }, DOC_ORIGIN, { tenantId: "acme-retail" });
    for (const { id } of LANGUAGES) expect(snippet(id, req)).toContain(`${DOC_URL}?limit=20&tenant_id=acme-retail`);
  });
});

describe("other requests", () => {
  const getRequest = {
    method: "GET",
    url: "http://127.0.0.1:3000/api/v1/links/webhooks?limit=5",
    headers: [["x-api-key", "hr_key"]] as [string, string][],
  };

  test("a request without a body has no body anywhere and Go does not import bytes", () => {
    expect(snippet("curl", getRequest)).toBe(`curl -X GET "http://127.0.0.1:3000/api/v1/links/webhooks?limit=5" \\\n  -H "x-api-key: hr_key"`);
    expect(snippet("python", getRequest)).toContain("response = requests.get(url, headers=headers)\n");
    expect(snippet("javascript", getRequest)).not.toContain("body:");
    const go = snippet("go", getRequest);
    expect(go).not.toContain('"bytes"');
    expect(go).toContain('http.NewRequest("GET", "http://127.0.0.1:3000/api/v1/links/webhooks?limit=5", nil)');
    const ruby = snippet("ruby", getRequest);
    expect(ruby).toContain("http.use_ssl = false\nrequest = Net::HTTP::Get.new(uri)\nrequest['x-api-key'] = 'hr_key'\nresponse");
  });

  const tricky = {
    method: "PATCH",
    url: "http://127.0.0.1:3000/api/v1/links/webhooks/whk_1?q=$HOME",
    headers: [["Authorization", 'Bearer a"$b`c\\d!\'e']] as [string, string][],
    body: { metadata: { note: "it's `odd` \"quoted\" \\ text $(id) \n", flag: true, none: null, n: 1.5 } },
  };

  test("cURL quoting survives a real shell: bash hands curl the exact URL, header and body", () => {
    // A shell function stands in for curl and prints the arguments bash parsed.
    const script = `curl() { printf '%s\\0' "$@"; }\n${snippet("curl", tricky)}\n`;
    const run = Bun.spawnSync(["bash", "-c", script], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    expect(run.exitCode).toBe(0);
    const args = run.stdout.toString().split("\0").slice(0, -1);
    expect(args).toEqual(["-X", "PATCH", tricky.url, "-H", `Authorization: ${tricky.headers[0]![1]}`, "-d", bodyText(tricky.body)!]);
  });

  test("Ruby single-quoted and Go raw literals decode to the exact body", () => {
    const ruby = snippet("ruby", tricky);
    const rubyBody = /^request\.body = '([\s\S]*)'\nresponse = /m.exec(ruby)![1]!;
    expect(rubyBody.replace(/\\([\\'])/g, "$1")).toBe(bodyText(tricky.body)!);
    expect(ruby).toContain("Net::HTTP::Patch.new(uri)");
    const go = snippet("go", tricky);
    const goBody = /data := \[\]byte\(`([\s\S]*)`\)\n/m.exec(go)![1]!;
    expect(goBody.split('` + "`" + `').join("`")).toBe(bodyText(tricky.body)!);
    expect(snippet("python", tricky)).toContain('"flag": True,\n        "none": None,\n        "n": 1.5');
    expect(snippet("python", tricky)).toContain("requests.patch(url");
  });

  test("Python literals", () => {
    expect(pythonLiteral({ a: [], b: {}, c: [false, null] })).toBe('{\n    "a": [],\n    "b": {},\n    "c": [\n        False,\n        None\n    ]\n}');
    expect(bodyText(undefined)).toBeUndefined();
  });
});
