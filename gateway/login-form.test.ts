import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLoginForm, type LoginForm } from './login-form.ts';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const credentials = { username: 'demo', password: 'demo' };

const bodies: { name: string; type: string; body: string; form: LoginForm | null }[] = [
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
  { name: 'JSON that is not an object', type: JSON_TYPE, body: 'null', form: null },
  { name: 'a body that is not JSON', type: JSON_TYPE, body: '{csrf:', form: null },
  { name: 'a body of another type', type: 'text/plain', body: 'csrf=t0k', form: null },
];
for (const { name, type, body, form } of bodies) {
  test(`${name} reads as ${form === null ? 'no form' : 'its fields'}`, () => {
    assert.deepEqual(parseLoginForm(Buffer.from(body), type), form);
  });
}
