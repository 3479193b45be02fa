"""/grok help, generated from the registry."""

from __future__ import annotations

from handlers.context import CommandRequest, HandlerContext
from handlers.registry import REGISTRY, Param, command, unknown_command_text
from handlers.reply import Field, Reply


@command(
    "help",
    Param(
        "command",
        "a command to explain",
        required=False,
        rest=True,
        description_fr="une commande à expliquer",
    ),
    help_fr="La liste des commandes, ou l'aide d'une commande.",
)
async def help_(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """List the commands, or explain one of them."""
    wanted = req.args.get("command", "").strip().removeprefix("/grok").strip().casefold()
    if wanted:
        spec = REGISTRY.get(wanted)
        if spec is None:
            return Reply.error(unknown_command_text(wanted, req.lang))
        lines = [spec.description(req.lang)]
        if spec.details:
            lines.append(spec.details)
        for p in spec.params:
            desc = p.description_fr if req.lang == "fr" and p.description_fr else p.description
            lines.append(f"- `{p.name}`{'' if p.required else ' (optional)'}: {desc}")
        if spec.manage:
            lines.append("_Needs permission to manage the channel._")
        for name, values in spec.manage_when:
            lines.append(f"_`{name}` {'/'.join(values)} needs permission to manage the channel._")
        return Reply(text="\n".join(lines), title=f"`{spec.usage}`")
    fields = [
        Field(f"`{spec.usage}`", spec.description(req.lang))
        for spec in sorted(REGISTRY.values(), key=lambda s: s.name)
    ]
    return Reply(
        text="grokwatch follows a news story across outlets and languages.",
        title="grokwatch commands",
        fields=fields,
    )
