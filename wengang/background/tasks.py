from celery import shared_task

from .services import background_task_run


@shared_task(name="wengang.background.run")
def run_background_task(task_id: str) -> None:
    background_task_run(task_id=task_id)
