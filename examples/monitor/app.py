"""A monitor: a daemon view, the same in every window of one user, that keeps running when
they are all closed.

``@app.view(..., daemon=True)`` runs one view per user (and route): every window of that user
shows it and sees each change at once; closing a window does not stop it, and reopening the
app shows it as it is now. Another user (another browser) gets their own. It has a counter,
a note (a text area) and a long task with a progress bar and a Stop button. Run it with
``appkit run examples/monitor`` and open it in two windows.

While the task runs the view waits for no click: its Stop button is ``view.cancel_button``,
which sets the view's ``stopping`` flag (and ends the step's ``sleep`` at once); the task's
loop checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appkit import App
from appkit.html import H2, Button, P, Pre, Progress
from appkit.live import View

app = App("monitor-example", title="Monitor")
#: Steps of the long task, and seconds per step.
STEPS, STEP_TIME = 50, 0.2


@dataclass
class Note:
    text: str = field(default="", metadata={"widget": "textarea"})


@app.view("/", title="Monitor", daemon=True, ttl=3600)
async def monitor(view: View) -> None:
    """The counter, the note and the task, until the app stops (or an hour unseen)."""
    count, note = 0, Note()
    while True:
        plus, edit, run = Button("+1"), Button("Edit the note"), Button("Run the task")
        clicked = await view.click(plus, edit, run, show=[
            H2("Count: ", str(count), id="count"), Pre(note.text or "(no note)", id="note")])
        if clicked is plus:
            count += 1
        elif clicked is edit:
            note = await view.submit(Note, values=note, show=H2("The note"), label="Save")
        else:
            view.stopping = False                  # set by the Stop button
            done = 0
            while done < STEPS and not view.stopping:
                view.show(H2("Working"), Progress(value=done / STEPS, id="progress"),
                          view.cancel_button("Stop"))
                await view.sleep(STEP_TIME)        # the work of one step
                done += 1
            result = "stopped" if view.stopping else "done"
            await view.click(Button("Back"), show=P(f"The task {result} after {done} steps",
                                                    id="result"))

