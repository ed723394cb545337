export { MonitorRoute, type MonitorEvent, type MonitorRouteOptions } from './monitor-route.ts';
export { MONITOR_ROLE } from './monitor-access.ts';
export { SNAPSHOT_LIMIT } from './monitor-socket.ts';
export { HistoryFeed, type FeedReader, type Snapshot } from './history-feed.ts';
export { historyEventKit, type HistoryEvent, type EventKind } from './history-events.ts';
export { loginStoryKit, type LoginStory, type StoryStep, type Counters } from './login-stories.ts';
export {
  conversationKit,
  type Conversation,
  type MonitorFilter,
  type MonitorView,
} from './conversation.ts';
