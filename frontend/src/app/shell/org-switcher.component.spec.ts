import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { TestBed } from '@angular/core/testing';
import { MatMenuHarness } from '@angular/material/menu/testing';
import { provideRouter } from '@angular/router';
import { me, org } from '../../testing/fixtures';
import { nextRequest, settle } from '../../testing/http';
import { answerSession, signIn } from '../../testing/session';
import { SessionStore } from '../core/session.store';
import { OrgSwitcher } from './org-switcher.component';

describe('OrgSwitcher', () => {
  const acme = org({ id: 'org_1', name: 'Acme', active: true, role: 'owner' });
  const globex = org({ id: 'org_2', name: 'Globex', active: false, role: 'member' });

  beforeEach(async () => {
    TestBed.configureTestingModule({
      imports: [OrgSwitcher],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    await signIn(me({ activeOrganizationId: 'org_1' }), [acme, globex]);
  });

  afterEach(() => TestBed.inject(HttpTestingController).verify());

  it('shows the active organisation and marks it in the menu', async () => {
    const fixture = TestBed.createComponent(OrgSwitcher);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    expect(root.querySelector('[data-testid="active-org-name"]')?.textContent).toBe('Acme');
    expect(root.querySelector('[data-testid="org-switcher"]')?.getAttribute('aria-label')).toContain('Switch organisation');

    const menu = await TestbedHarnessEnvironment.loader(fixture).getHarness(MatMenuHarness);
    await menu.open();
    const items = await menu.getItems();
    const texts = await Promise.all(items.map((i) => i.getText()));
    expect(texts).toEqual([expect.stringContaining('Acme'), expect.stringContaining('Globex'), 'Create organisation']);

    const checked = [...document.querySelectorAll('[data-testid="org-switcher-item"]')].map((el) => el.getAttribute('aria-checked'));
    expect(checked).toEqual(['true', 'false']);
  });

  it('activates another organisation and reloads the session', async () => {
    const fixture = TestBed.createComponent(OrgSwitcher);
    await fixture.whenStable();
    const menu = await TestbedHarnessEnvironment.loader(fixture).getHarness(MatMenuHarness);
    await menu.open();
    await menu.clickItem({ text: /Globex/ });

    const activate = await nextRequest({ method: 'POST', url: '/api/orgs/org_2/activate' });
    activate.flush({ ...globex, active: true });
    await answerSession(me({ activeOrganizationId: 'org_2' }), [{ ...acme, active: false }, { ...globex, active: true }]);
    await settle(fixture);

    expect(TestBed.inject(SessionStore).activeOrg()?.name).toBe('Globex');
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="active-org-name"]')?.textContent).toBe('Globex');
  });

  it('does nothing when the active organisation is picked again', async () => {
    const fixture = TestBed.createComponent(OrgSwitcher);
    await fixture.whenStable();
    const menu = await TestbedHarnessEnvironment.loader(fixture).getHarness(MatMenuHarness);
    await menu.open();
    await menu.clickItem({ text: /Acme/ });
    TestBed.inject(HttpTestingController).expectNone('/api/orgs/org_1/activate');
  });
});
