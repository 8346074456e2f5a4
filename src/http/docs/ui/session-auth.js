/*
 * Swagger UI plugin for /docs: the API key an officer enters under "Authorize" is kept in this tab's
 * sessionStorage, so it survives reloads but not closing the tab. Swagger UI's own persistAuthorization
 * would keep it in localStorage indefinitely, readable by anything on the origin later (issue #22).
 * Served as a static theme script; src/http/plugins/docs.ts names it in uiConfig.plugins.
 */
window.PopscreenSessionAuth = () => {
  const KEY = 'popscreen.authorized'
  // Keys remembered by earlier versions of this page (persistAuthorization) do not linger.
  try {
    localStorage.removeItem('authorized')
  } catch (_) {}
  const save = (system) => {
    try {
      const authorized = system.authSelectors.authorized().toJS()
      if (Object.keys(authorized).length > 0) sessionStorage.setItem(KEY, JSON.stringify(authorized))
      else sessionStorage.removeItem(KEY)
    } catch (_) {}
  }
  const thenSave =
    (action, system) =>
    (...args) => {
      const result = action(...args)
      save(system)
      return result
    }
  return {
    afterLoad: (system) => {
      const stored = sessionStorage.getItem(KEY)
      if (stored) system.authActions.restoreAuthorization({ authorized: JSON.parse(stored) })
    },
    statePlugins: { auth: { wrapActions: { authorize: thenSave, logout: thenSave } } },
  }
}
