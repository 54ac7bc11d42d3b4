"""The collector: where the sessions people share arrive (`farol collector`), on a machine of its own. It shares
only the agent core with the bridge that sends to it: the store and the contribution contract."""
