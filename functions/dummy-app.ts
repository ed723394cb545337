import { AuthSuccess, Topics, appDisplayTopic } from '../protocol/index.ts';
import { defineUnit, publish } from '../router/index.ts';

const NAME = 'dummy-app';

/**
 * The first app unit. On each login it updates the page it shows that user (published on
 * its own display topic, `modt/app/display/dummy-app`, served by the gateway to that browser
 * only) and then answers `modt/app/ready` with the page's address, in that order, so the
 * page is there when the browser arrives.
 */
export default defineUnit({
  name: NAME,
  subscribe: { [Topics.authSuccess]: AuthSuccess },
  publishes: [appDisplayTopic(NAME), Topics.appReady],
  settings: { publicUrl: 'http://localhost:8080' },

  handle(_topic, login, { unit, now, settings }) {
    const display = {
      session_id: login.session_id,
      app_name: unit,
      title: `Welcome, ${login.user_id}`,
      items: [
        { label: 'User', value: login.user_id },
        { label: 'Role', value: login.role },
        { label: 'Logged in at', value: login.timestamp },
        { label: 'Ready at', value: now.toISOString() },
      ],
    };
    const ready = {
      session_id: login.session_id,
      redirect_url: new URL(`/apps/${unit}/`, settings.publicUrl).href,
      app_name: unit,
    };
    return [publish(appDisplayTopic(unit), display), publish(Topics.appReady, ready)];
  },
});
