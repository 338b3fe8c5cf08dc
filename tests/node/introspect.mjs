// What every client tool does first: fetch the live schema with graphql-js's
// standard introspection query and build a client schema from the answer.
//
// usage: node introspect.mjs <graphql url> [options as JSON]
// The options are getIntrospectionQuery's (descriptions, specifiedByUrl,
// directiveIsRepeatable, schemaDescription, inputValueDeprecation, oneOf).
// Prints one JSON line: type counts and what the custom scalars declare.
import {
  buildClientSchema,
  getIntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  isUnionType,
  printSchema,
} from 'graphql';

const [url, rawOptions] = process.argv.slice(2);
const options = rawOptions ? JSON.parse(rawOptions) : {};
const query = getIntrospectionQuery(options);

const res = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
  body: JSON.stringify({ query, operationName: 'IntrospectionQuery' }),
});
const body = await res.json();
if (body.errors || !body.data) {
  console.log(JSON.stringify({ ok: false, status: res.status, errors: body.errors ?? null }));
  process.exit(0);
}

const schema = buildClientSchema(body.data);
const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__'));
const count = (pred) => types.filter(pred).length;
const scalars = {};
for (const t of types.filter((t) => isScalarType(t) && !isSpecifiedScalarType(t))) {
  scalars[t.name] = { description: t.description ?? null, specifiedByURL: t.specifiedByURL ?? null };
}
const fields = (t) => (t ? Object.keys(t.getFields()).length : 0);

console.log(
  JSON.stringify({
    ok: true,
    status: res.status,
    queryBytes: query.length,
    types: types.length,
    objects: count(isObjectType),
    interfaces: count(isInterfaceType),
    unions: count(isUnionType),
    enums: count(isEnumType),
    inputs: count(isInputObjectType),
    scalars,
    queryFields: fields(schema.getQueryType()),
    mutationFields: fields(schema.getMutationType()),
    subscriptionFields: fields(schema.getSubscriptionType()),
    directives: schema.getDirectives().map((d) => d.name),
    sdlBytes: printSchema(schema).length,
  }),
);
