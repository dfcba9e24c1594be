# Breathing LED: a 20 ms periodic timer moves LED3's PWM duty up and down (a quadratic curve looks
# even to the eye): dark at 0 s, full at 1 s, dark again at 2 s, and so on.
from machine import Pin, PWM, Timer

pwm = PWM(Pin("LED3"), freq=1000, duty_u16=0)
level = 0
step = 1


def breathe(timer):
    global level, step
    level += step
    if level == 0 or level == 50:
        step = -step
    pwm.duty_u16(level * level * 65535 // 2500)


Timer(0).init(period=20, mode=Timer.PERIODIC, callback=breathe)
