import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidFilter, isValidTopicName, topicMatches } from './topic-filter.ts';

// Rows follow MQTT 3.1.1 section 4.7: its own examples first, then the edges around them.
const matches: [filter: string, topic: string, expected: boolean][] = [
  // 4.7.1.2 multi-level wildcard
  ['sport/tennis/player1/#', 'sport/tennis/player1', true],
  ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
  ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
  ['sport/#', 'sport', true],
  ['#', 'sport/tennis/player1', true],
  ['#', '/', true],
  ['sport/tennis/#', 'sport/tennisplayer1', false],
  ['sport/tennis/#', 'sport/tennis', true],
  ['modt/#', 'modt/app/ready', true],
  ['modt/#', 'modt', true],
  ['modt/#', 'modtx/app/ready', false],
  ['modt/#', 'other/modt/app', false],
  // 4.7.1.3 single-level wildcard
  ['sport/tennis/+', 'sport/tennis/player1', true],
  ['sport/tennis/+', 'sport/tennis/player2', true],
  ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
  ['sport/tennis/+', 'sport/tennis', false],
  ['sport/+', 'sport', false],
  ['sport/+', 'sport/', true],
  ['+/+', '/finance', true],
  ['/+', '/finance', true],
  ['+', '/finance', false],
  ['+', 'sport', true],
  ['sport/+/player1', 'sport/tennis/player1', true],
  ['sport/+/player1', 'sport/tennis/player2', false],
  ['+/tennis/#', 'sport/tennis/player1/ranking', true],
  ['a/+/b', 'a//b', true],
  // 4.7.2 topics beginning with $
  ['#', '$SYS/broker/uptime', false],
  ['#', '$SYS', false],
  ['+/monitor/Clients', '$SYS/monitor/Clients', false],
  ['+', '$SYS', false],
  ['$SYS/#', '$SYS/monitor/Clients', true],
  ['$SYS/#', '$SYS', true],
  ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
  ['#', 'modt/$SYS', true],
  ['modt/+', 'modt/$x', true],
  // 4.7.3 topic semantics: exact, case-sensitive levels
  ['ACCOUNTS', 'Accounts', false],
  ['Accounts payable', 'Accounts payable', true],
  ['/finance', 'finance', false],
  ['a/b', 'a/b/', false],
  ['a/b/', 'a/b', false],
  ['modt/app/ready', 'modt/app/ready', true],
  ['modt/app/ready', 'modt/app/ready/x', false],
];

describe('topicMatches', () => {
  for (const [filter, topic, expected] of matches) {
    const verb = expected ? 'matches' : 'does not match';
    test(`${JSON.stringify(filter)} ${verb} ${JSON.stringify(topic)}`, () => {
      assert.equal(topicMatches(filter, topic), expected);
    });
  }
});

const filters: [filter: string, valid: boolean][] = [
  ['#', true],
  ['+', true],
  ['sport/tennis/#', true],
  ['+/tennis/#', true],
  ['sport/+/player1', true],
  ['/', true],
  ['$SYS/#', true],
  ['', false],
  ['sport/tennis#', false],
  ['sport/tennis/#/ranking', false],
  ['#/tennis', false],
  ['sport+', false],
  ['sport/+tennis', false],
  ['sport/\u0000', false],
];

describe('isValidFilter', () => {
  for (const [filter, valid] of filters) {
    test(`${JSON.stringify(filter)} is ${valid ? 'a valid' : 'not a valid'} filter`, () => {
      assert.equal(isValidFilter(filter), valid);
    });
  }
});

const topicNames: [topic: string, valid: boolean][] = [
  ['modt/app/ready', true],
  ['/', true],
  ['a//b', true],
  ['', false],
  ['modt/+', false],
  ['modt/#', false],
  ['modt/a+b', false],
  ['modt/\u0000', false],
];

describe('isValidTopicName', () => {
  for (const [topic, valid] of topicNames) {
    test(`${JSON.stringify(topic)} is ${valid ? 'a valid' : 'not a valid'} topic name`, () => {
      assert.equal(isValidTopicName(topic), valid);
    });
  }
});
