import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, type ErrorCode } from '../protocol/index.ts';
import { parseLoginForm, type LoginForm } from './login-form.ts';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const credentials = { username: 'demo', password: 'demo' };

const bodies: { name: string; type: string; body: string; form: LoginForm }[] = [
  {
    name: 'a urlencoded form with its token',
    type: `${FORM};charset=UTF-8`,
    body: 'csrf=t0k&username=demo&password=demo',
    form: { csrf: 't0k', credentials },
  },
  {
    name: 'a JSON form with its token',
    type: JSON_TYPE,
    body: JSON.stringify({ csrf: 't0k', ...credentials }),
    form: { csrf: 't0k', credentials },
  },
  {
    name: 'a form without a token',
    type: FORM,
    body: 'username=demo&password=demo',
    form: { csrf: undefined, credentials },
  },
  {
    name: 'a form without a password',
    type: FORM,
    body: 'csrf=t0k&username=demo',
    form: { csrf: 't0k', credentials: undefined },
  },
  {
    name: 'a form with a username over 64 characters',
    type: FORM,
    body: `csrf=t0k&username=${'u'.repeat(65)}&password=demo`,
    form: { csrf: 't0k', credentials: undefined },
  },
  {
    name: 'a JSON token that is no string',
    type: JSON_TYPE,
    body: JSON.stringify({ csrf: 7, ...credentials }),
    form: { csrf: undefined, credentials },
  },
  {
    name: 'a form whose media type is written in capitals',
    type: 'Application/X-WWW-Form-Urlencoded; Charset=UTF-8',
    body: 'csrf=t0k&username=demo&password=demo',
    form: { csrf: 't0k', credentials },
  },
  {
    name: 'a JSON form with a parameter and spaces',
    type: ` ${JSON_TYPE} ; charset=utf-8`,
    body: JSON.stringify({ csrf: 't0k', ...credentials }),
    form: { csrf: 't0k', credentials },
  },
];
for (const { name, type, body, form } of bodies) {
  test(`${name} reads as its fields`, () => {
    assert.deepEqual(parseLoginForm(Buffer.from(body), type), form);
  });
}

const INVALID = ErrorCodes.PAYLOAD_INVALID;
const refused: { name: string; type: string; body: string; status: number; code: ErrorCode }[] = [
  { name: 'JSON that is not an object', type: JSON_TYPE, body: 'null', status: 400, code: INVALID },
  { name: 'a JSON array', type: JSON_TYPE, body: '["t0k"]', status: 400, code: INVALID },
  {
    name: 'a body that is not JSON',
    type: JSON_TYPE,
    body: '{csrf:',
    status: 400,
    code: ErrorCodes.PAYLOAD_NOT_JSON,
  },
  { name: 'a body of another type', type: 'text/plain', body: 'x', status: 415, code: INVALID },
  { name: 'a body of no type', type: '', body: 'csrf=t0k', status: 415, code: INVALID },
  {
    name: 'a type that only begins like JSON',
    type: 'application/jsonx',
    body: '{}',
    status: 415,
    code: INVALID,
  },
];
for (const { name, type, body, status, code } of refused) {
  test(`${name} is refused with ${status} and ${code}`, () => {
    const form = parseLoginForm(Buffer.from(body), type);
    assert.ok('code' in form, 'refused');
    assert.equal(form.code, code);
    assert.equal(Number.parseInt(form.status, 10), status);
  });
}
