"""The dashboard's daily figures kept as a roll-up: closed days counted once and stored, today
counted over today's rows only (:mod:`callwarden.rollup.daily`)."""
