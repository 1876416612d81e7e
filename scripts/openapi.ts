// Writes docs/openapi.json: the OpenAPI document the server generates from its route table.
// test/lib/server/openapi.test.ts fails when the committed file and the code disagree.
import {writeFileSync} from 'node:fs'
import {generateOpenApiDocument} from '../src/lib/server/openapi-document.js'

const target = new URL('../docs/openapi.json', import.meta.url)
writeFileSync(target, JSON.stringify(await generateOpenApiDocument(), null, 2) + '\n')
console.log(`wrote ${target.pathname}`)
