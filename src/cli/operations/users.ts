import { createUser, disableUser, listUsers, resetPassword, StaffError, type NewUser, type StaffUser } from '../../staff/users.js';
import { OperationError, type Operation, type OperationContext } from './operation.js';

/** The staff domain's refusals, as the CLI words them (exit 2: the operator asked for something wrong). */
async function staff<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof StaffError) throw new OperationError(err.code, { id: err.message, en: err.message }, 2);
    throw err;
  }
}

const by = (c: OperationContext) => ({ actor: c.actor });

export const createUserOperation: Operation<NewUser, { user: StaffUser; password: string }> = {
  needs: 'database',
  run: (c, input) => staff(() => createUser(c.db, c.config, input, by(c))),
};

export const listUsersOperation: Operation<{ after: number; limit: number }, StaffUser[]> = {
  needs: 'database',
  run: (c, input) => listUsers(c.db, input),
};

export const disableUserOperation: Operation<{ username: string }, StaffUser> = {
  needs: 'database',
  run: (c, input) => staff(() => disableUser(c.db, input.username, by(c))),
};

export const resetPasswordOperation: Operation<{ username: string }, { user: StaffUser; password: string }> = {
  needs: 'database',
  run: (c, input) => staff(() => resetPassword(c.db, input.username, by(c))),
};
