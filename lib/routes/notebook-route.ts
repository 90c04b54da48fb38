/** A notebook server's route: the hub registered it for a user (`user` in its data), and it is not the hub's own. */
export const isNotebookRoute = (data: Readonly<Record<string, unknown>>): boolean => typeof data.user === 'string' && data.hub !== true;
