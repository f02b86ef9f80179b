"""A tiny independent model of the books, used to check the real system.

It knows nothing of aggregates or events: per user it keeps available, reserved and holds, and
it says what each command should do. Tests drive it beside the application and compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class OracleUser:
    available: int = 0
    reserved: int = 0
    holds: dict[str, int] = field(default_factory=dict)


@dataclass
class Oracle:
    users: dict[str, OracleUser] = field(default_factory=dict)
    # Money that entered or left through adjustments and payouts (the outside world).
    external: int = 0

    def open(self, user_id: str) -> None:
        self.users[user_id] = OracleUser()

    def credit(self, user_id: str, amount: int) -> bool:
        self.users[user_id].available += amount
        self.external -= amount
        return True

    def debit(self, user_id: str, amount: int) -> bool:
        user = self.users[user_id]
        if amount > user.available:
            return False
        user.available -= amount
        self.external += amount
        return True

    def reserve(self, user_id: str, ref: str, amount: int) -> bool:
        user = self.users[user_id]
        if ref in user.holds or amount > user.available:
            return False
        user.available -= amount
        user.reserved += amount
        user.holds[ref] = amount
        return True

    def release(self, user_id: str, ref: str) -> bool:
        user = self.users[user_id]
        if ref not in user.holds:
            return False
        amount = user.holds.pop(ref)
        user.reserved -= amount
        user.available += amount
        return True

    def spend(self, user_id: str, ref: str, amount: int) -> bool:
        user = self.users[user_id]
        held = user.holds.get(ref)
        if held is None or amount > held:
            return False
        user.reserved -= amount
        self.external += amount
        if held == amount:
            del user.holds[ref]
        else:
            user.holds[ref] = held - amount
        return True
